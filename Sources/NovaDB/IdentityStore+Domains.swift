import Foundation
import NovaCore
import SQLKit

/// Domains beyond Default (Keystone's domain CRUD): created, renamed, disabled, and deleted with everything
/// in them once disabled.
extension IdentityStore {
    /// 409 when a domain of that name exists.
    public func saveDomain(_ domain: DomainRecord, creating: Bool) async throws {
        try await database.write { sql in
            if try await sql.raw(
                "SELECT id FROM domains WHERE name = \(bind: domain.name) AND id <> \(bind: domain.id)"
            ).first() != nil {
                throw NovaError.conflict(
                    "Conflict occurred attempting to store domain - Duplicate entry found with name \(domain.name).")
            }
            if creating {
                try await sql.raw(
                    """
                    INSERT INTO domains (id, name, description, enabled)
                    VALUES (\(bind: domain.id), \(bind: domain.name), \(bind: domain.description), \(bind: domain.enabled ? 1 : 0))
                    """
                ).run()
            } else {
                try await sql.raw(
                    """
                    UPDATE domains SET name = \(bind: domain.name), description = \(bind: domain.description),
                      enabled = \(bind: domain.enabled ? 1 : 0) WHERE id = \(bind: domain.id)
                    """
                ).run()
            }
        }
    }

    /// The domain with its projects, users and groups, their assignments and memberships; its users' tokens
    /// are revoked.
    public func deleteDomain(id: String) async throws {
        try await database.write { sql in
            let users = SQLQueryString("SELECT id FROM users WHERE domain_id = \(bind: id)")
            let projects = SQLQueryString("SELECT id FROM projects WHERE domain_id = \(bind: id)")
            let groups = SQLQueryString("SELECT id FROM user_groups WHERE domain_id = \(bind: id)")
            try await sql.raw("UPDATE tokens SET revoked = 1 WHERE user_id IN (" + users + ")").run()
            try await sql.raw("DELETE FROM role_assignments WHERE user_id IN (" + users + ")").run()
            try await sql.raw("DELETE FROM role_assignments WHERE project_id IN (" + projects + ")").run()
            try await sql.raw("DELETE FROM group_role_assignments WHERE group_id IN (" + groups + ")").run()
            try await sql.raw("DELETE FROM group_role_assignments WHERE project_id IN (" + projects + ")").run()
            try await sql.raw("DELETE FROM user_group_members WHERE user_id IN (" + users + ")").run()
            try await sql.raw("DELETE FROM user_group_members WHERE group_id IN (" + groups + ")").run()
            try await sql.raw("DELETE FROM system_role_assignments WHERE actor_id IN (" + users + ")").run()
            try await sql.raw("DELETE FROM system_role_assignments WHERE actor_id IN (" + groups + ")").run()
            let credentials: SQLQueryString =
                "SELECT id FROM application_credentials WHERE user_id IN (" + users + ") OR project_id IN (" + projects
                + ")"
            try await sql.raw(
                "DELETE FROM application_credential_access_rules WHERE application_credential_id IN (" + credentials
                    + ")"
            ).run()
            try await sql.raw("DELETE FROM access_rules WHERE user_id IN (" + users + ")").run()
            try await sql.raw(
                "DELETE FROM application_credentials WHERE user_id IN (" + users + ") OR project_id IN (" + projects
                    + ")"
            ).run()
            try await sql.raw("DELETE FROM user_groups WHERE domain_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM users WHERE domain_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM projects WHERE domain_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM domains WHERE id = \(bind: id)").run()
        }
    }
}
