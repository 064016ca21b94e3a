import Foundation
import NovaCore
import SQLKit

/// A Keystone credential (`/v3/credentials`): an EC2 access/secret pair (type `ec2`, id the SHA-256 of the
/// access key) or any other type's blob; the blob is kept sealed by the identity service.
public struct CredentialRecord: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var projectID: String?
    public var type: String
    public var sealedBlob: String
    public var createdAt: Date

    public init(id: String, userID: String, projectID: String?, type: String, sealedBlob: String, createdAt: Date) {
        self.id = id
        self.userID = userID
        self.projectID = projectID
        self.type = type
        self.sealedBlob = sealedBlob
        self.createdAt = createdAt
    }
}

extension IdentityStore {
    /// 409 when a credential with that id (for EC2: that access key) exists.
    public func createCredential(_ credential: CredentialRecord) async throws {
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM credentials WHERE id = \(bind: credential.id)").first() == nil
            else {
                throw NovaError.conflict("Conflict occurred attempting to store credential - Duplicate entry.")
            }
            try await sql.raw(
                """
                INSERT INTO credentials (id, user_id, project_id, type, blob, created_at)
                VALUES (\(bind: credential.id), \(bind: credential.userID), \(bind: credential.projectID),
                  \(bind: credential.type), \(bind: credential.sealedBlob), \(bind: credential.createdAt.stored))
                """
            ).run()
        }
    }

    public func credentials(userID: String? = nil, type: String? = nil) async throws -> [CredentialRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM credentials WHERE 1 = 1")
            if let userID { text += " AND user_id = \(bind: userID)" }
            if let type { text += " AND type = \(bind: type)" }
            return try await sql.raw(text + " ORDER BY created_at, id").all().map(Self.credential)
        }
    }

    public func credential(id: String) async throws -> CredentialRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM credentials WHERE id = \(bind: id)").first().map(Self.credential)
        }
    }

    /// Replaces the credential's project, type and blob; 404 when it is gone.
    public func updateCredential(_ credential: CredentialRecord) async throws {
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM credentials WHERE id = \(bind: credential.id)").first() != nil
            else {
                throw NovaError.notFound("Could not find credential: \(credential.id).")
            }
            try await sql.raw(
                """
                UPDATE credentials SET project_id = \(bind: credential.projectID), type = \(bind: credential.type),
                  blob = \(bind: credential.sealedBlob) WHERE id = \(bind: credential.id)
                """
            ).run()
        }
    }

    public func deleteCredential(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM credentials WHERE id = \(bind: id)").run()
        }
    }

    static func credential(_ row: any SQLRow) throws -> CredentialRecord {
        CredentialRecord(
            id: try row.string("id"), userID: try row.string("user_id"),
            projectID: try row.optionalString("project_id"), type: try row.string("type"),
            sealedBlob: try row.string("blob"), createdAt: try row.date("created_at"))
    }
}
