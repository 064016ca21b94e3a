import Foundation
import NovaCore
import PlacementCore
import Synchronization
import Testing

/// Keeps what is saved, slowly, counting transactions; can be told to fail.
final class SlowPersistence: PlacementPersistence {
    let saved = Mutex<(transactions: Int, consumers: Set<String>)>((0, []))
    let failing = Atomic<Bool>(false)

    func loadPlacement() async throws -> PlacementState {
        var state = PlacementState()
        try state.createProvider(uuid: "cn1", name: "cn1", parentUUID: nil)
        try state.setInventories("cn1", generation: nil, ["VCPU": Inventory(total: 100)])
        return state
    }

    func savePlacement(_ records: PlacementRecords) async throws {
        try await Task.sleep(for: .milliseconds(5))
        if failing.load(ordering: .relaxed) { throw NovaError.internalError("disk full") }
        saved.withLock {
            $0.transactions += 1
            $0.consumers.formUnion(records.consumers.compactMap { $0.value == nil ? nil : $0.key })
        }
    }
}

@Suite struct PlacementServiceTests {
    func claim(_ service: PlacementService, _ consumer: String) async throws -> Bool {
        try await service.claim([
            AllocationWrite(consumerUUID: consumer, allocations: ["cn1": ["VCPU": 1]], projectID: "p", userID: "u")
        ])
    }

    @Test func concurrentWritersShareTransactionsAndAllAreStored() async throws {
        let persistence = SlowPersistence()
        let service = try await PlacementService(persistence: persistence)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<40 { group.addTask { try await claim(service, "c\(index)") } }
            for try await granted in group { #expect(granted) }
        }
        let saved = persistence.saved.withLock { $0 }
        #expect(saved.consumers.count == 40)
        #expect(saved.transactions < 40)
    }

    @Test func aFailedStoreFailsTheWriteAndMemoryFollowsTheDatabase() async throws {
        let persistence = SlowPersistence()
        let service = try await PlacementService(persistence: persistence)
        persistence.failing.store(true, ordering: .relaxed)
        await #expect(throws: NovaError.self) { _ = try await claim(service, "lost") }
        #expect(service.snapshot.consumers["lost"] == nil)
        #expect(service.snapshot.providers["cn1"]?.usages.isEmpty == true)
        persistence.failing.store(false, ordering: .relaxed)
        #expect(try await claim(service, "kept"))
        #expect(service.snapshot.consumers["kept"] != nil)
    }
}
