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
}
