import Foundation
import Logging
import NovaCore
import NovaDB
import NovaTestSupport
import Testing

/// Two connection pools on one PostgreSQL database stand for two processes (an API and a conductor): their
/// read-check-write transactions must not lose each other's changes.
@Suite(.enabled(if: PostgresTestDatabase.serverURL != nil, "needs NOVA_TEST_POSTGRES_URL"))
struct PostgreSQLTests {
    @Test func concurrentWritersFromTwoProcessesLoseNothing() async throws {
        let directory = "pg-concurrency-\(UUID().uuidString.prefix(8))"
        let url = try PostgresTestDatabase.url(forDataDirectory: directory, server: PostgresTestDatabase.serverURL!)
        let logger = Logger(label: "test")
        let first = try await Database.open(connection: url, logger: logger)
        let second = try await Database.open(connection: url, logger: logger)
        #expect(first.dialect == .postgresql)
        let stores = [ComputeStore(database: first), ComputeStore(database: second)]
        var idle = Instance(
            uuid: UUID().uuidString.lowercased(), displayName: "counter", projectID: "p", userID: "u",
            flavor: Flavor.defaults[0], imageRef: "i", createdAt: Date(), reservationID: "r")
        idle.vmState = .active
        idle.taskState = nil
        let instance = idle
        try await stores[0].createInstances([instance], actions: [])
        // Each write reads the counter and stores it plus one: lost updates would leave it short.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                group.addTask {
                    try await stores[index % 2].mutateInstance(uuid: instance.uuid) { current in
                        current.metadata["n"] = String((Int(current.metadata["n"] ?? "0") ?? 0) + 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await stores[1].instance(uuid: instance.uuid)?.metadata["n"] == "60")
        // The compare-and-set on task_state: of many concurrent claims of one idle instance, one wins.
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let claim = InstanceUpdate(expectedTaskStates: [nil], taskState: .poweringOff)
                    return (try? await stores[index % 2].updateInstance(uuid: instance.uuid, claim)) != nil
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        try await first.close()
        try await second.close()
    }

    /// Writers that name what they touch wait for writers of the same name and for those that name nothing,
    /// not for writers of other names.
    @Test func namedWritersWaitOnlyForTheSameNameAndForUnnamedWriters() async throws {
        let directory = "pg-named-locks-\(UUID().uuidString.prefix(8))"
        let url = try PostgresTestDatabase.url(forDataDirectory: directory, server: PostgresTestDatabase.serverURL!)
        let logger = Logger(label: "test")
        let pools = [
            try await Database.open(connection: url, logger: logger),
            try await Database.open(connection: url, logger: logger),
        ]
        try await pools[0].write { sql in
            try await sql.raw("CREATE TABLE counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL)").run()
            try await sql.raw("INSERT INTO counters VALUES ('a', 0), ('b', 0)").run()
        }
        // Read, then write the value plus one: a writer that did not wait would lose another's increment.
        @Sendable func increment(_ database: Database, _ name: String, named: Bool) async throws {
            try await database.write(lockingOnly: named ? ["counter:" + name] : nil) { sql in
                let n = try await sql.raw("SELECT n FROM counters WHERE name = \(bind: name)").first()!.decode(
                    column: "n", as: Int.self)
                try await sql.raw("UPDATE counters SET n = \(bind: n + 1) WHERE name = \(bind: name)").run()
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                group.addTask { try await increment(pools[index % 2], "a", named: index % 3 != 0) }
            }
            try await group.waitForAll()
        }
        let a = try await pools[1].read { sql in
            try await sql.raw("SELECT n FROM counters WHERE name = 'a'").first()!.decode(column: "n", as: Int.self)
        }
        #expect(a == 60)
        // A writer of `a` holds its lock until a writer of `b` has finished (or 10 s have passed): `b` must not
        // wait for it.
        let finishedB = AsyncStream.makeStream(of: Void.self)
        let heldUntilB = Task {
            try await pools[0].write(lockingOnly: ["counter:a"]) { _ in
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        for await _ in finishedB.stream { return true }
                        return false
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(10))
                        return false
                    }
                    let first = try await group.next()!
                    group.cancelAll()
                    return first
                }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        try await increment(pools[1], "b", named: true)
        finishedB.continuation.yield()
        #expect(try await heldUntilB.value)
        try await pools[0].close()
        try await pools[1].close()
    }
}
