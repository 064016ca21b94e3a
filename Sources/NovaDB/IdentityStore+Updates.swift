import Foundation
import NovaCore
import SQLKit

/// Changes to users and projects (Keystone's PATCH), names unique in their domain as at creation.
extension IdentityStore {
    public func updateUser(_ user: UserRecord) async throws {
        try await database.write { sql in
            if try await sql.raw(
                """
                SELECT id FROM users WHERE domain_id = \(bind: user.domainID) AND name = \(bind: user.name)
                  AND id <> \(bind: user.id)
                """
            ).first() != nil {
                throw NovaError.conflict(
                    "Conflict occurred attempting to store user - Duplicate entry found with name \(user.name).")
            }
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
            if try await sql.raw(
                """
                SELECT id FROM projects WHERE domain_id = \(bind: project.domainID) AND name = \(bind: project.name)
                  AND id <> \(bind: project.id)
                """
            ).first() != nil {
                throw NovaError.conflict(
                    "Conflict occurred attempting to store project - Duplicate entry found with name \(project.name).")
            }
            try await sql.raw(
                """
                UPDATE projects SET name = \(bind: project.name), description = \(bind: project.description),
                  enabled = \(bind: project.enabled ? 1 : 0)
                WHERE id = \(bind: project.id)
                """
            ).run()
        }
    }

    /// Every token of the user stops working (a changed password, as Keystone revokes them then).
    public func revokeTokens(userID: String) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE tokens SET revoked = 1 WHERE user_id = \(bind: userID)").run()
        }
    }
}
