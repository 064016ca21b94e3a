import Foundation
import Logging
import NIOPosix
import NovaCore
import PostgresKit
import SQLKit
import SQLiteKit
import SQLiteNIO

/// The one SQL database of a process: SQLite (the all-in-one) or PostgreSQL (scale-out). Writes are
/// serialised in both: SQLite through its one writing connection (WAL mode), PostgreSQL by transaction-scoped
/// advisory locks that the writers of every process take, so read-check-write transactions (task_state
/// compare-and-set, placement generations, quota) behave the same under concurrent API and conductor
/// processes as they do in one process. A write that names what it touches (`lockingOnly`: an instance, a
/// project) takes the all-writers lock shared and an exclusive lock per name, so it waits only for writers of
/// the same names and for writers that name nothing, which take the all-writers lock exclusively.
///
/// A SQLite file is also opened read-only (`readers` times) for `read`: WAL lets them read while a transaction
/// writes, so a read never queues behind writers (a boot's burst of conductor writes, say) nor behind another
/// read. Each statement of a read sees what was committed when it ran, as on PostgreSQL's pooled connections.
/// An in-memory database has one connection for everything.
public final class Database: Sendable {
    public enum Dialect: Sendable { case sqlite, postgresql }

    enum Backend: Sendable {
        case sqlite(SQLiteConnection, readers: SQLiteReaders?)
        case postgresql(PostgresClient, Task<Void, Never>)
    }

    let backend: Backend
    /// The SQLite writing connection's: one statement or transaction at a time.
    let lock = AsyncLock()
    let logger: Logger

    public var dialect: Dialect {
        if case .sqlite = backend { return .sqlite }
        return .postgresql
    }

    init(backend: Backend, logger: Logger) {
        self.backend = backend
        self.logger = logger
    }

    /// `sqlite:///PATH` (nil or empty path: in memory) or `postgresql://user:password@host:port/database`.
    public static func open(connection: String?, logger: Logger) async throws -> Database {
        if let connection, connection.hasPrefix("postgresql://") || connection.hasPrefix("postgres://") {
            return try await openPostgreSQL(url: connection, logger: logger)
        }
        let path = connection.map { String($0.dropFirst("sqlite:///".count)) }
        return try await openSQLite(path: path?.isEmpty == false ? path : nil, logger: logger)
    }

    /// Opens (creating if needed) the SQLite database at `path` and applies pending migrations; `readers`: how
    /// many read-only connections a file gets.
    public static func openSQLite(path: String?, readers: Int = 2, logger: Logger) async throws -> Database {
        if let path {
            // Password and token hashes live here: readable by this user alone. SQLite gives its -wal and -shm
            // files the database file's mode.
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            }
        }
        let storage: SQLiteConnection.Storage = path.map { .file(path: $0) } ?? .memory
        let connection = try await SQLiteConnection.open(storage: storage, logger: logger)
        let sql = connection.sql()
        try await sql.raw("PRAGMA journal_mode=WAL").run()
        try await sql.raw("PRAGMA synchronous=NORMAL").run()
        try await sql.raw("PRAGMA foreign_keys=ON").run()
        try await Migrations.apply(to: Database(backend: .sqlite(connection, readers: nil), logger: logger))
        guard let path else { return Database(backend: .sqlite(connection, readers: nil), logger: logger) }
        let pool = try await SQLiteReaders.open(path: path, count: max(1, readers), logger: logger)
        return Database(backend: .sqlite(connection, readers: pool), logger: logger)
    }

    public static func openPostgreSQL(url: String, logger: Logger) async throws -> Database {
        guard let components = URLComponents(string: url), let host = components.host,
            let user = components.user, components.path.count > 1
        else {
            throw NovaError.badRequest("[database] connection = \(url) is not postgresql://user:password@host:port/db")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: String(components.path.dropFirst()), tls: .disable)
        configuration.options.maximumConnections = 10
        // Its warning that the first lease can come before `run()` has started is not worth a line.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        let runner = Task { await client.run() }
        let database = Database(backend: .postgresql(client, runner), logger: logger)
        do {
            try await Migrations.apply(to: database)
        } catch {
            runner.cancel()
            throw error
        }
        return database
    }

    public func close() async throws {
        switch backend {
        case .sqlite(let connection, let readers):
            await readers?.close()
            try await connection.close()
        case .postgresql(_, let runner):
            runner.cancel()
            await runner.value
        }
    }

    /// Runs `body` on one connection.
    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(_, let readers?):
            return try await readers.reading { try await body($0.sql()) }
        case .sqlite(let connection, nil):
            return try await lock.holding { try await body(connection.sql()) }
        case .postgresql(let client, _):
            // `body` runs once, on this task's behalf, while the pool lends the connection.
            nonisolated(unsafe) let work = body
            return try await client.withConnection { connection in try await work(connection.sql()) }
        }
    }

    /// Runs `body` in one transaction: all of it is stored, or none of it. `lockingOnly` names everything the
    /// transaction reads to decide and everything it writes (`instance:<uuid>`, `project:<id>`); nil (the
    /// default) is for a transaction that may touch anything.
    public func write<T: Sendable>(
        lockingOnly keys: [String]? = nil, _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        switch backend {
        case .sqlite(let connection, _):
            return try await lock.holding {
                try await transaction(connection.sql(), begin: "BEGIN IMMEDIATE", body)
            }
        case .postgresql(let client, _):
            nonisolated(unsafe) let work = body
            let lock = Self.writerLock(keys)
            return try await client.withConnection { connection in
                try await self.transaction(connection.sql(), begin: "BEGIN", lock: lock, work)
            }
        }
    }

    /// One statement taking the writer locks: the all-writers lock (7305) exclusively, or shared plus one
    /// exclusive lock per name (7306, hashed) in sorted order, so that two writers never wait for each other
    /// in a circle.
    static func writerLock(_ keys: [String]?) -> SQLQueryString {
        guard let keys, !keys.isEmpty else { return "SELECT pg_advisory_xact_lock(7305)" }
        var statement: SQLQueryString = "SELECT pg_advisory_xact_lock_shared(7305)"
        for key in Set(keys).sorted() { statement += ", pg_advisory_xact_lock(7306, hashtext(\(bind: key)))" }
        return statement
    }

    private func transaction<T: Sendable>(
        _ sql: any SQLDatabase, begin: String, lock: SQLQueryString? = nil,
        _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await sql.raw(SQLQueryString(begin)).run()
        do {
            if let lock { try await sql.raw(lock).run() }
            let result = try await body(sql)
            try await sql.raw("COMMIT").run()
            return result
        } catch {
            try? await sql.raw("ROLLBACK").run()
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
