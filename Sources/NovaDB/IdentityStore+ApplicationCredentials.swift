import Foundation
import NovaCore
import SQLKit

/// An access rule of an application credential: the one service type, method and path pattern a token made
/// from it may call (Keystone keeps them per user, shared by the user's credentials).
public struct AccessRuleRecord: Sendable, Equatable, Codable {
    public var id: String
    public var service: String
    public var path: String
    public var method: String

    public init(id: String, service: String, path: String, method: String) {
        self.id = id
        self.service = service
        self.path = path
        self.method = method
    }
}

/// Keystone's application credential: a secret that authenticates as its user in one project, with a
/// subset of the user's roles there, until it expires or is deleted.
public struct ApplicationCredentialRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var userID: String
    public var projectID: String
    public var description: String?
    public var secretHash: String
    public var expiresAt: Date?
    /// May make other application credentials and trusts (Keystone's `unrestricted`).
    public var unrestricted: Bool
    public var roleIDs: [String]
    /// Empty: any call.
    public var accessRules: [AccessRuleRecord]

    public init(
        id: String, name: String, userID: String, projectID: String, description: String?, secretHash: String,
        expiresAt: Date?, unrestricted: Bool, roleIDs: [String], accessRules: [AccessRuleRecord]
    ) {
        self.id = id
        self.name = name
        self.userID = userID
        self.projectID = projectID
        self.description = description
        self.secretHash = secretHash
        self.expiresAt = expiresAt
        self.unrestricted = unrestricted
        self.roleIDs = roleIDs
        self.accessRules = accessRules
    }
}

extension IdentityStore {
    /// Stores the credential; a rule equal to one the user has (same service, path and method) reuses that
    /// rule's id, as Keystone does. 409 when the user has a credential of that name.
    public func createApplicationCredential(_ credential: ApplicationCredentialRecord) async throws
        -> ApplicationCredentialRecord
    {
        try await database.write { sql in
            guard
                try await sql.raw(
                    """
                    SELECT id FROM application_credentials
                    WHERE user_id = \(bind: credential.userID) AND name = \(bind: credential.name)
                    """
                ).first() == nil
            else {
                throw NovaError.conflict(
                    "Conflict occurred attempting to store application_credential - Duplicate entry found with name \(credential.name)."
                )
            }
            var stored = credential
            stored.accessRules = []
            for rule in credential.accessRules {
                let existing = try await sql.raw(
                    """
                    SELECT id FROM access_rules WHERE user_id = \(bind: credential.userID)
                      AND service = \(bind: rule.service) AND path = \(bind: rule.path) AND method = \(bind: rule.method)
                    """
                ).first().map { try $0.string("id") }
                var kept = rule
                if let existing {
                    kept.id = existing
                } else {
                    try await sql.raw(
                        """
                        INSERT INTO access_rules (id, user_id, service, path, method)
                        VALUES (\(bind: rule.id), \(bind: credential.userID), \(bind: rule.service), \(bind: rule.path),
                          \(bind: rule.method))
                        """
                    ).run()
                }
                try await sql.raw(
                    """
                    INSERT INTO application_credential_access_rules (application_credential_id, access_rule_id)
                    VALUES (\(bind: credential.id), \(bind: kept.id)) ON CONFLICT DO NOTHING
                    """
                ).run()
                if !stored.accessRules.contains(where: { $0.id == kept.id }) { stored.accessRules.append(kept) }
            }
            try await sql.raw(
                """
                INSERT INTO application_credentials (id, name, user_id, project_id, description, secret_hash, expires_at,
                  unrestricted, role_ids, created_at)
                VALUES (\(bind: credential.id), \(bind: credential.name), \(bind: credential.userID),
                  \(bind: credential.projectID), \(bind: credential.description), \(bind: credential.secretHash),
                  \(bind: credential.expiresAt?.stored), \(bind: credential.unrestricted ? 1 : 0),
                  \(bind: credential.roleIDs.joined(separator: ",")), \(bind: Date().stored))
                """
            ).run()
            return stored
        }
    }

    public func applicationCredentials(userID: String, name: String? = nil) async throws
        -> [ApplicationCredentialRecord]
    {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM application_credentials WHERE user_id = \(bind: userID)")
            if let name { text += " AND name = \(bind: name)" }
            var credentials: [ApplicationCredentialRecord] = []
            for row in try await sql.raw(text + " ORDER BY name").all() {
                credentials.append(try await Self.applicationCredential(from: row, sql))
            }
            return credentials
        }
    }

    public func applicationCredential(id: String) async throws -> ApplicationCredentialRecord? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM application_credentials WHERE id = \(bind: id)").first()
            else { return nil }
            return try await Self.applicationCredential(from: row, sql)
        }
    }

    static func applicationCredential(from row: any SQLRow, _ sql: any SQLDatabase) async throws
        -> ApplicationCredentialRecord
    {
        let id = try row.string("id")
        let rules = try await sql.raw(
            """
            SELECT r.* FROM access_rules r JOIN application_credential_access_rules a ON a.access_rule_id = r.id
            WHERE a.application_credential_id = \(bind: id) ORDER BY r.service, r.path, r.method
            """
        ).all().map(Self.accessRule(from:))
        return ApplicationCredentialRecord(
            id: id, name: try row.string("name"), userID: try row.string("user_id"),
            projectID: try row.string("project_id"), description: try row.optionalString("description"),
            secretHash: try row.string("secret_hash"), expiresAt: try row.optionalDate("expires_at"),
            unrestricted: try row.bool("unrestricted"),
            roleIDs: try row.string("role_ids").split(separator: ",").map(String.init), accessRules: rules)
    }

    static func accessRule(from row: any SQLRow) throws -> AccessRuleRecord {
        AccessRuleRecord(
            id: try row.string("id"), service: try row.string("service"), path: try row.string("path"),
            method: try row.string("method"))
    }

    /// The credential, its links to access rules, and every token made from it.
    public func deleteApplicationCredential(id: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                "DELETE FROM application_credential_access_rules WHERE application_credential_id = \(bind: id)"
            ).run()
            try await sql.raw("UPDATE tokens SET revoked = 1 WHERE application_credential_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM application_credentials WHERE id = \(bind: id)").run()
        }
    }

    public func accessRules(userID: String) async throws -> [AccessRuleRecord] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT * FROM access_rules WHERE user_id = \(bind: userID) ORDER BY service, path, method"
            ).all().map(Self.accessRule(from:))
        }
    }

    /// Deletes a user's access rule; 403 while an application credential uses it, as Keystone answers.
    public func deleteAccessRule(id: String, userID: String) async throws {
        try await database.write { sql in
            guard
                try await sql.raw(
                    "SELECT id FROM access_rules WHERE id = \(bind: id) AND user_id = \(bind: userID)"
                ).first() != nil
            else { throw NovaError.notFound("Could not find Access Rule: \(id).") }
            guard
                try await sql.raw(
                    "SELECT access_rule_id FROM application_credential_access_rules WHERE access_rule_id = \(bind: id)"
                ).first() == nil
            else {
                throw NovaError.forbidden(
                    "Cannot delete access rule \(id) as it is in use by an application credential.")
            }
            try await sql.raw("DELETE FROM access_rules WHERE id = \(bind: id)").run()
        }
    }
}
