import Crypto
import Foundation
import NovaCore
import SQLKit

/// A console authorization: only the sha256 of the token is stored (nova/objects/console_auth_token.py).
public struct ConsoleAuthToken: Sendable, Equatable {
    public var tokenHash: String
    public var consoleType: String
    public var host: String
    public var port: Int
    public var internalAccessPath: String?
    public var instanceUUID: String
    /// The compute service that owns the guest (its RPC topic).
    public var computeHost: String
    public var expires: Date
    public var accessURLBase: String

    public init(
        tokenHash: String, consoleType: String, host: String, port: Int, internalAccessPath: String?,
        instanceUUID: String, computeHost: String, expires: Date, accessURLBase: String
    ) {
        self.tokenHash = tokenHash
        self.consoleType = consoleType
        self.host = host
        self.port = port
        self.internalAccessPath = internalAccessPath
        self.instanceUUID = instanceUUID
        self.computeHost = computeHost
        self.expires = expires
        self.accessURLBase = accessURLBase
    }
}

extension ConsoleAuthToken {
    /// What is stored of a token: its SHA-256, in hex.
    public static func hash(_ token: String) -> String {
        StableHash.hex(SHA256.hash(data: Data(token.utf8)))
    }
}

extension Migrations {
    static let consoleTokenSchema = [
        """
        CREATE TABLE console_auth_tokens (id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE,
          console_type TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, internal_access_path TEXT,
          instance_uuid TEXT NOT NULL, compute_host TEXT NOT NULL, expires REAL NOT NULL, access_url_base TEXT NOT NULL)
        """,
        "CREATE INDEX console_auth_tokens_instance ON console_auth_tokens (instance_uuid)",
        "CREATE INDEX console_auth_tokens_expires ON console_auth_tokens (expires)",
    ]
}

extension ComputeStore {
    public func createConsoleToken(_ token: ConsoleAuthToken) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO console_auth_tokens (token_hash, console_type, host, port, internal_access_path,
                  instance_uuid, compute_host, expires, access_url_base)
                VALUES (\(bind: token.tokenHash), \(bind: token.consoleType), \(bind: token.host), \(bind: token.port),
                  \(bind: token.internalAccessPath), \(bind: token.instanceUUID), \(bind: token.computeHost),
                  \(bind: token.expires.stored), \(bind: token.accessURLBase))
                """
            ).run()
        }
    }

    /// The authorization of this token if it has not expired (an expired one is as good as absent).
    public func consoleToken(_ token: String, now: Date) async throws -> ConsoleAuthToken? {
        let hash = ConsoleAuthToken.hash(token)
        return try await database.read { sql in
            guard
                let row = try await sql.raw(
                    "SELECT * FROM console_auth_tokens WHERE token_hash = \(bind: hash) AND expires > \(bind: now.stored)"
                ).first()
            else { return nil }
            return ConsoleAuthToken(
                tokenHash: try row.string("token_hash"), consoleType: try row.string("console_type"),
                host: try row.string("host"), port: try row.int("port"),
                internalAccessPath: try row.optionalString("internal_access_path"),
                instanceUUID: try row.string("instance_uuid"), computeHost: try row.string("compute_host"),
                expires: try row.date("expires"), accessURLBase: try row.string("access_url_base"))
        }
    }

    /// Removes expired authorizations (Nova's _cleanup_expired_console_auth_tokens); returns how many.
    @discardableResult
    public func deleteExpiredConsoleTokens(now: Date) async throws -> Int {
        try await database.write { sql in
            let count =
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM console_auth_tokens WHERE expires <= \(bind: now.stored)"
                ).first()?.int("n") ?? 0
            try await sql.raw("DELETE FROM console_auth_tokens WHERE expires <= \(bind: now.stored)").run()
            return count
        }
    }
}
