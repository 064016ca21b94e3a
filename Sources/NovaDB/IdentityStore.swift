import Foundation
import NovaCore
import SQLKit

public struct DomainRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var enabled: Bool

    public init(id: String, name: String, description: String, enabled: Bool) {
        self.id = id
        self.name = name
        self.description = description
        self.enabled = enabled
    }
}

public struct ProjectRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var domainID: String
    public var description: String
    public var enabled: Bool

    public init(id: String, name: String, domainID: String, description: String, enabled: Bool) {
        self.id = id
        self.name = name
        self.domainID = domainID
        self.description = description
        self.enabled = enabled
    }
}

public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var domainID: String
    public var passwordHash: String?
    public var enabled: Bool
    public var defaultProjectID: String?
    public var email: String?

    public init(
        id: String, name: String, domainID: String, passwordHash: String?, enabled: Bool,
        defaultProjectID: String? = nil, email: String? = nil
    ) {
        self.id = id
        self.name = name
        self.domainID = domainID
        self.passwordHash = passwordHash
        self.enabled = enabled
        self.defaultProjectID = defaultProjectID
        self.email = email
    }
}

public struct RoleRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String?

    public init(id: String, name: String, description: String? = nil) {
        self.id = id
        self.name = name
        self.description = description
    }
}

public struct RoleAssignment: Sendable, Equatable {
    public var userID: String
    public var projectID: String
    public var roleID: String
}

public struct TokenRecord: Sendable, Equatable {
    public var userID: String
    public var projectID: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var auditID: String
    /// The audit id of the first token of a chain made by token authentication (Keystone's second audit id).
    public var auditChainID: String?
    /// `all` for a system-scoped token (its `projectID` is then empty).
    public var systemScope: String?
    /// The application credential the token was issued for: its roles are the token's, and its access rules
    /// bound what the token may call.
    public var applicationCredentialID: String?

    public init(
        userID: String, projectID: String, issuedAt: Date, expiresAt: Date, auditID: String,
        auditChainID: String? = nil, systemScope: String? = nil, applicationCredentialID: String? = nil
    ) {
        self.systemScope = systemScope
        self.applicationCredentialID = applicationCredentialID
        self.userID = userID
        self.projectID = projectID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.auditID = auditID
        self.auditChainID = auditChainID
    }

    /// Keystone's `audit_ids`: this token's, then its chain's first.
    public var auditIDs: [String] { [auditID] + (auditChainID.map { [$0] } ?? []) }
}

/// Keystone's tables.
public final class IdentityStore: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public static let defaultDomainID = "default"

    // MARK: Domains

    public func ensureDomain(id: String, name: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO domains (id, name, description, enabled) VALUES (\(bind: id), \(bind: name), 'The default domain', 1)
                ON CONFLICT (id) DO NOTHING
                """
            ).run()
        }
    }

    public func domains(name: String? = nil) async throws -> [DomainRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM domains WHERE 1 = 1")
            if let name { text += " AND name = \(bind: name)" }
            return try await sql.raw(text + " ORDER BY name").all().map { row in
                DomainRecord(
                    id: try row.string("id"), name: try row.string("name"), description: try row.string("description"),
                    enabled: try row.bool("enabled"))
            }
        }
    }

    // MARK: Projects

    static func project(from row: any SQLRow) throws -> ProjectRecord {
        ProjectRecord(
            id: try row.string("id"), name: try row.string("name"), domainID: try row.string("domain_id"),
            description: try row.string("description"), enabled: try row.bool("enabled"))
    }

    public func createProject(_ project: ProjectRecord) async throws {
        try await database.write { sql in
            if try await sql.raw(
                "SELECT id FROM projects WHERE domain_id = \(bind: project.domainID) AND name = \(bind: project.name)"
            ).first() != nil {
                throw NovaError.conflict(
                    "Conflict occurred attempting to store project - Duplicate entry found with name \(project.name).")
            }
            try await sql.raw(
                """
                INSERT INTO projects (id, name, domain_id, description, enabled)
                VALUES (\(bind: project.id), \(bind: project.name), \(bind: project.domainID), \(bind: project.description),
                  \(bind: project.enabled ? 1 : 0))
                """
            ).run()
        }
    }

    public func projects(name: String? = nil, domainID: String? = nil, userID: String? = nil) async throws
        -> [ProjectRecord]
    {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM projects p WHERE 1 = 1")
            if let name { text += " AND name = \(bind: name)" }
            if let domainID { text += " AND domain_id = \(bind: domainID)" }
            if let userID {
                // Its own roles there, or a group's it is in.
                text +=
                    """
                     AND (EXISTS (SELECT 1 FROM role_assignments a WHERE a.project_id = p.id AND a.user_id = \(bind: userID))
                      OR EXISTS (SELECT 1 FROM group_role_assignments g JOIN user_group_members m ON m.group_id = g.group_id
                        WHERE g.project_id = p.id AND m.user_id = \(bind: userID)))
                    """
            }
            return try await sql.raw(text + " ORDER BY name").all().map(Self.project(from:))
        }
    }

    public func project(id: String) async throws -> ProjectRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM projects WHERE id = \(bind: id)").first().map(Self.project(from:))
        }
    }

    public func deleteProject(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM role_assignments WHERE project_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM group_role_assignments WHERE project_id = \(bind: id)").run()
            try await sql.raw(
                "DELETE FROM application_credential_access_rules WHERE application_credential_id IN (SELECT id FROM application_credentials WHERE project_id = \(bind: id))"
            ).run()
            try await sql.raw("DELETE FROM application_credentials WHERE project_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM projects WHERE id = \(bind: id)").run()
        }
    }

    // MARK: Users

    static func user(from row: any SQLRow) throws -> UserRecord {
        UserRecord(
            id: try row.string("id"), name: try row.string("name"), domainID: try row.string("domain_id"),
            passwordHash: try row.optionalString("password_hash"), enabled: try row.bool("enabled"),
            defaultProjectID: try row.optionalString("default_project_id"), email: try row.optionalString("email"))
    }

    public func createUser(_ user: UserRecord) async throws {
        try await database.write { sql in
            if try await sql.raw(
                "SELECT id FROM users WHERE domain_id = \(bind: user.domainID) AND name = \(bind: user.name)"
            ).first() != nil {
                throw NovaError.conflict(
                    "Conflict occurred attempting to store user - Duplicate entry found with name \(user.name).")
            }
            try await sql.raw(
                """
                INSERT INTO users (id, name, domain_id, password_hash, enabled, default_project_id, email, created_at)
                VALUES (\(bind: user.id), \(bind: user.name), \(bind: user.domainID), \(bind: user.passwordHash),
                  \(bind: user.enabled ? 1 : 0), \(bind: user.defaultProjectID), \(bind: user.email), \(bind: Date().stored))
                """
            ).run()
        }
    }

    public func setPassword(userID: String, hash: String) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE users SET password_hash = \(bind: hash) WHERE id = \(bind: userID)").run()
        }
    }

    public func users(name: String? = nil, domainID: String? = nil) async throws -> [UserRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM users WHERE 1 = 1")
            if let name { text += " AND name = \(bind: name)" }
            if let domainID { text += " AND domain_id = \(bind: domainID)" }
            return try await sql.raw(text + " ORDER BY name").all().map(Self.user(from:))
        }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM users WHERE id = \(bind: id)").first().map(Self.user(from:))
        }
    }

    public func deleteUser(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM role_assignments WHERE user_id = \(bind: id)").run()
            try await sql.raw("UPDATE tokens SET revoked = 1 WHERE user_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM user_group_members WHERE user_id = \(bind: id)").run()
            try await sql.raw(
                "DELETE FROM system_role_assignments WHERE actor_type = 'user' AND actor_id = \(bind: id)"
            ).run()
            try await sql.raw(
                "DELETE FROM application_credential_access_rules WHERE application_credential_id IN (SELECT id FROM application_credentials WHERE user_id = \(bind: id))"
            ).run()
            try await sql.raw("DELETE FROM application_credentials WHERE user_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM access_rules WHERE user_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM users WHERE id = \(bind: id)").run()
        }
    }

    // MARK: Roles

    public func ensureRole(name: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                "INSERT INTO roles (id, name) VALUES (\(bind: UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")), \(bind: name)) ON CONFLICT (name) DO NOTHING"
            ).run()
        }
    }

    public func roles(name: String? = nil) async throws -> [RoleRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM roles WHERE 1 = 1")
            if let name { text += " AND name = \(bind: name)" }
            return try await sql.raw(text + " ORDER BY name").all().map { row in
                RoleRecord(
                    id: try row.string("id"), name: try row.string("name"),
                    description: try row.optionalString("description"))
            }
        }
    }

    public func assignRole(userID: String, projectID: String, roleID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO role_assignments (user_id, project_id, role_id) VALUES (\(bind: userID), \(bind: projectID), \(bind: roleID))
                ON CONFLICT (user_id, project_id, role_id) DO NOTHING
                """
            ).run()
        }
    }

    public func unassignRole(userID: String, projectID: String, roleID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                "DELETE FROM role_assignments WHERE user_id = \(bind: userID) AND project_id = \(bind: projectID) AND role_id = \(bind: roleID)"
            ).run()
        }
    }

    public func assignments(userID: String? = nil, projectID: String? = nil, roleID: String? = nil) async throws
        -> [RoleAssignment]
    {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM role_assignments WHERE 1 = 1")
            if let userID { text += " AND user_id = \(bind: userID)" }
            if let projectID { text += " AND project_id = \(bind: projectID)" }
            if let roleID { text += " AND role_id = \(bind: roleID)" }
            return try await sql.raw(text).all().map { row in
                RoleAssignment(
                    userID: try row.string("user_id"), projectID: try row.string("project_id"),
                    roleID: try row.string("role_id"))
            }
        }
    }

    /// The names of the roles a user has on a project.
    public func roleNames(userID: String, projectID: String) async throws -> [RoleRecord] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT r.id, r.name FROM roles r WHERE r.id IN (
                  SELECT a.role_id FROM role_assignments a
                  WHERE a.user_id = \(bind: userID) AND a.project_id = \(bind: projectID)
                  UNION SELECT g.role_id FROM group_role_assignments g JOIN user_group_members m ON m.group_id = g.group_id
                  WHERE m.user_id = \(bind: userID) AND g.project_id = \(bind: projectID))
                ORDER BY r.name
                """
            ).all().map { RoleRecord(id: try $0.string("id"), name: try $0.string("name")) }
        }
    }

    // MARK: Tokens

    public func storeToken(hash: String, _ token: TokenRecord) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO tokens (token_hash, user_id, project_id, issued_at, expires_at, audit_id, audit_chain_id,
                  revoked, system_scope, application_credential_id)
                VALUES (\(bind: hash), \(bind: token.userID), \(bind: token.projectID), \(bind: token.issuedAt.stored),
                  \(bind: token.expiresAt.stored), \(bind: token.auditID), \(bind: token.auditChainID), 0,
                  \(bind: token.systemScope), \(bind: token.applicationCredentialID))
                """
            ).run()
            // Expired tokens are of no use to anyone: drop them as new ones are issued.
            try await sql.raw("DELETE FROM tokens WHERE expires_at < \(bind: Date().stored - 3600)").run()
        }
    }

    /// A token that is neither revoked nor expired.
    public func token(hash: String, now: Date) async throws -> TokenRecord? {
        try await database.read { sql in
            try await sql.raw(
                "SELECT * FROM tokens WHERE token_hash = \(bind: hash) AND revoked = 0 AND expires_at > \(bind: now.stored)"
            ).first().map { row in
                TokenRecord(
                    userID: try row.string("user_id"), projectID: try row.string("project_id"),
                    issuedAt: try row.date("issued_at"), expiresAt: try row.date("expires_at"),
                    auditID: try row.string("audit_id"), auditChainID: try row.optionalString("audit_chain_id"),
                    systemScope: try row.optionalString("system_scope"),
                    applicationCredentialID: try row.optionalString("application_credential_id"))
            }
        }
    }

    public func revokeToken(hash: String) async throws -> Bool {
        try await database.write { sql in
            let found =
                try await sql.raw("SELECT token_hash FROM tokens WHERE token_hash = \(bind: hash) AND revoked = 0")
                .first() != nil
            try await sql.raw("UPDATE tokens SET revoked = 1 WHERE token_hash = \(bind: hash)").run()
            return found
        }
    }
}
