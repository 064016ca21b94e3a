import Foundation
import NovaCore
import SQLKit

/// Roles beyond the bootstrap's: created, renamed and deleted through the API (Keystone's role CRUD).
extension IdentityStore {
    public func role(id: String) async throws -> RoleRecord? {
        try await roles().first { $0.id == id }
    }

    /// 409 when a role of that name exists.
    public func createRole(_ role: RoleRecord) async throws {
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM roles WHERE name = \(bind: role.name)").first() == nil else {
                throw NovaError.conflict("Duplicate entry found with name \(role.name) at domain ID <<null>>.")
            }
            try await sql.raw(
                "INSERT INTO roles (id, name, description) VALUES (\(bind: role.id), \(bind: role.name), \(bind: role.description))"
            ).run()
        }
    }

    public func updateRole(_ role: RoleRecord) async throws {
        try await database.write { sql in
            if try await sql.raw(
                "SELECT id FROM roles WHERE name = \(bind: role.name) AND id <> \(bind: role.id)"
            ).first() != nil {
                throw NovaError.conflict("Duplicate entry found with name \(role.name) at domain ID <<null>>.")
            }
            try await sql.raw(
                "UPDATE roles SET name = \(bind: role.name), description = \(bind: role.description) WHERE id = \(bind: role.id)"
            ).run()
        }
    }

    /// The role, every assignment of it (users' and groups', on projects and the system) and its inferences.
    public func deleteRole(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM role_assignments WHERE role_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM group_role_assignments WHERE role_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM system_role_assignments WHERE role_id = \(bind: id)").run()
            try await sql.raw(
                "DELETE FROM implied_roles WHERE prior_role_id = \(bind: id) OR implied_role_id = \(bind: id)"
            ).run()
            try await sql.raw("DELETE FROM roles WHERE id = \(bind: id)").run()
        }
    }
}
