import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    static func keyPair(from row: any SQLRow) throws -> KeyPairRecord {
        KeyPairRecord(
            id: try row.int("id"), name: try row.string("name"), userID: try row.string("user_id"),
            fingerprint: try row.string("fingerprint"), publicKey: try row.string("public_key"),
            type: try row.string("type"), createdAt: try row.date("created_at"))
    }

    /// Stores a keypair; 409 when the user has one by that name, 403 over the key_pairs quota.
    public func createKeyPair(
        name: String, userID: String, fingerprint: String, publicKey: String, type: String, limit: Int
    ) async throws -> KeyPairRecord {
        try await database.write { sql in
            if try await sql.raw(
                "SELECT id FROM key_pairs WHERE user_id = \(bind: userID) AND name = \(bind: name)"
            ).first() != nil {
                throw NovaError.conflict("Key pair '\(name)' already exists.")
            }
            let count = try await sql.raw("SELECT COUNT(*) AS n FROM key_pairs WHERE user_id = \(bind: userID)").first()
            if limit >= 0, try count?.int("n") ?? 0 >= limit {
                throw NovaError.forbidden("Quota exceeded, too many key pairs.")
            }
            let now = Date()
            try await sql.raw(
                """
                INSERT INTO key_pairs (name, user_id, fingerprint, public_key, type, created_at)
                VALUES (\(bind: name), \(bind: userID), \(bind: fingerprint), \(bind: publicKey), \(bind: type), \(bind: now.stored))
                """
            ).run()
            let row = try await sql.raw(
                "SELECT * FROM key_pairs WHERE user_id = \(bind: userID) AND name = \(bind: name)"
            ).first()
            guard let row else { throw NovaError.internalError("keypair \(name) vanished after insert") }
            return try Self.keyPair(from: row)
        }
    }

    public func keyPairs(userID: String) async throws -> [KeyPairRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM key_pairs WHERE user_id = \(bind: userID) ORDER BY name").all()
                .map(Self.keyPair(from:))
        }
    }

    public func keyPair(name: String, userID: String) async throws -> KeyPairRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM key_pairs WHERE user_id = \(bind: userID) AND name = \(bind: name)")
                .first().map(Self.keyPair(from:))
        }
    }

    public func deleteKeyPair(name: String, userID: String) async throws {
        try await database.write { sql in
            guard
                try await sql.raw(
                    "SELECT id FROM key_pairs WHERE user_id = \(bind: userID) AND name = \(bind: name)"
                ).first() != nil
            else {
                throw NovaError.notFound("Keypair \(name) not found for user \(userID)")
            }
            try await sql.raw("DELETE FROM key_pairs WHERE user_id = \(bind: userID) AND name = \(bind: name)").run()
        }
    }
}
