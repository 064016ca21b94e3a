import Foundation
import Logging
import NIOPosix
import NovaCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// The one SQL database of a process. SQLite is written through a single serialised connection (WAL mode),
/// so concurrent requests queue instead of failing with "database is locked".
public final class Database: Sendable {
    public let sql: any SQLDatabase
    let connection: SQLiteConnection
    let lock = AsyncLock()
    let logger: Logger

    init(connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.sql = connection.sql()
        self.logger = logger
    }

    /// Opens (creating if needed) the SQLite database at `path` and applies pending migrations.
    public static func openSQLite(path: String?, logger: Logger) async throws -> Database {
        let storage: SQLiteConnection.Storage = path.map { .file(path: $0) } ?? .memory
        let connection = try await SQLiteConnection.open(storage: storage, logger: logger)
        let database = Database(connection: connection, logger: logger)
        try await database.sql.raw("PRAGMA journal_mode=WAL").run()
        try await database.sql.raw("PRAGMA synchronous=NORMAL").run()
        try await database.sql.raw("PRAGMA foreign_keys=ON").run()
        try await Migrations.apply(to: database)
        return database
    }

    public func close() async throws {
        try await connection.close()
    }

    /// Runs `body` alone on the connection.
    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        await lock.lock()
        do {
            let result = try await body(sql)
            await lock.unlock()
            return result
        } catch {
            await lock.unlock()
            throw error
        }
    }

    /// Runs `body` in one transaction: all of it is stored, or none of it.
    public func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        await lock.lock()
        do {
            try await sql.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(sql)
                try await sql.raw("COMMIT").run()
                await lock.unlock()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        } catch {
            await lock.unlock()
            throw error
        }
    }
}

extension Date {
    /// Dates are stored as seconds since 1970 (a REAL), the same in SQLite and PostgreSQL.
    var stored: Double { timeIntervalSince1970 }
    init(stored: Double) { self.init(timeIntervalSince1970: stored) }
}

extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func int(_ column: String) throws -> Int { try decode(column: column, as: Int.self) }
    func optionalInt(_ column: String) throws -> Int? { try decode(column: column, as: Int?.self) }
    func double(_ column: String) throws -> Double { try decode(column: column, as: Double.self) }
    func bool(_ column: String) throws -> Bool { try decode(column: column, as: Int.self) != 0 }
    func date(_ column: String) throws -> Date { Date(stored: try decode(column: column, as: Double.self)) }
    func optionalDate(_ column: String) throws -> Date? {
        try decode(column: column, as: Double?.self).map(Date.init(stored:))
    }
}

enum StoredJSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(type, from: Data(text.utf8))
    }
}
