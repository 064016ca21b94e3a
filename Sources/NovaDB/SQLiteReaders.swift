import Logging
import SQLiteKit
import SQLiteNIO

/// The read-only connections of a SQLite file, lent one read at a time: reads run side by side with each
/// other and with the writer (WAL), each on a connection no one else uses meanwhile.
actor SQLiteReaders {
    private var idle: [SQLiteConnection]
    private var waiters: [CheckedContinuation<SQLiteConnection, Never>] = []
    let all: [SQLiteConnection]

    /// Opens `count` connections to the file at `path` that refuse to write.
    static func open(path: String, count: Int, logger: Logger) async throws -> SQLiteReaders {
        var connections: [SQLiteConnection] = []
        do {
            for _ in 0..<count {
                let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                connections.append(connection)
                // A statement that would write through it fails instead of slipping past the writers' lock.
                try await connection.sql().raw("PRAGMA query_only=ON").run()
            }
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        return SQLiteReaders(connections)
    }

    init(_ connections: [SQLiteConnection]) {
        idle = connections
        all = connections
    }

    /// Runs `body` with a connection of its own.
    nonisolated func reading<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        let connection = await take()
        do {
            let result = try await body(connection)
            await give(connection)
            return result
        } catch {
            await give(connection)
            throw error
        }
    }

    func close() async {
        for connection in all { try? await connection.close() }
    }

    private func take() async -> SQLiteConnection {
        if let connection = idle.popLast() { return connection }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func give(_ connection: SQLiteConnection) {
        if waiters.isEmpty { idle.append(connection) } else { waiters.removeFirst().resume(returning: connection) }
    }
}
