import Foundation
import Logging
import NovaCore
import NovaDB
import SQLKit
import Testing

/// A SQLite file is read through a connection of its own: a read does not wait for a transaction that writes,
/// sees only what was committed, and cannot write.
@Suite struct SQLiteReaderTests {
    // With one connection the read would wait for the writer, which waits for the test: the time limit ends it.
    @Test(.timeLimit(.minutes(1))) func aReadDoesNotWaitForAWriterAndSeesWhatWasCommitted() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try await Database.openSQLite(path: path, logger: Logger(label: "test"))
        try await database.write { sql in
            try await sql.raw("CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)").run()
            try await sql.raw("INSERT INTO counters (name, value) VALUES ('n', 1)").run()
        }
        func value() async throws -> Int? {
            try await database.read { sql in
                try await sql.raw("SELECT value FROM counters WHERE name = 'n'").first()?.decode(
                    column: "value", as: Int.self)
            }
        }
        let (written, writing) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let writer = Task {
            try await database.write { sql in
                try await sql.raw("UPDATE counters SET value = 2 WHERE name = 'n'").run()
                writing.yield()
                for await _ in released { break }
            }
        }
        for await _ in written { break }
        // The writer holds its transaction open: the read answers at once, with the committed value.
        #expect(try await value() == 1)
        release.yield()
        try await writer.value
        #expect(try await value() == 2)
        // A statement that would write through the reading connection fails.
        await #expect(throws: (any Error).self) {
            try await database.read { sql in try await sql.raw("DELETE FROM counters").run() }
        }
        #expect(try await value() == 2)
        try await database.close()
    }
}
