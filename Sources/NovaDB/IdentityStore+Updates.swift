import Foundation
import NovaCore
import SQLKit

/// Changes to users and projects (Keystone's PATCH), names unique in their domain as at creation.
extension IdentityStore {
    public func updateUser(_ user: UserRecord) async throws {
        try await database.write { sql in
            try await Self.requireUniqueName(user.name, in: "users", domainID: user.domainID, besides: user.id, sql)
            try await sql.raw(
                """
                UPDATE users SET name = \(bind: user.name), password_hash = \(bind: user.passwordHash),
                  enabled = \(bind: user.enabled ? 1 : 0), default_project_id = \(bind: user.defaultProjectID),
                  email = \(bind: user.email)
                WHERE id = \(bind: user.id)
                """
            ).run()
        }
    }

    public func updateProject(_ project: ProjectRecord) async throws {
        try await database.write { sql in
            try await Self.requireUniqueName(
                project.name, in: "projects", domainID: project.domainID, besides: project.id, sql)
            try await sql.raw(
                """
                UPDATE projects SET name = \(bind: project.name), description = \(bind: project.description),
                  enabled = \(bind: project.enabled ? 1 : 0)
                WHERE id = \(bind: project.id)
                """
            ).run()
        }
    }

    /// Keystone's 409 for a second user, project or group of one name in a domain (`besides`: the one
    /// being renamed). `table` is one of this store's own table names, never a request's text.
    static func requireUniqueName(
        _ name: String, in table: String, domainID: String, besides id: String?, _ sql: any SQLDatabase
    ) async throws {
        let what = ["users": "user", "projects": "project", "user_groups": "group"][table] ?? table
        if try await sql.raw(
            """
            SELECT id FROM \(unsafeRaw: table) WHERE domain_id = \(bind: domainID) AND name = \(bind: name)
              AND id <> \(bind: id ?? "")
            """
        ).first() != nil {
            throw NovaError.conflict(
                "Conflict occurred attempting to store \(what) - Duplicate entry found with name \(name).")
        }
    }

    /// Every token of the user stops working (a changed password, as Keystone revokes them then).
    public func revokeTokens(userID: String) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE tokens SET revoked = 1 WHERE user_id = \(bind: userID)").run()
        }
    }
}
