import Foundation
import NovaCore
import NovaScheduler
import PlacementCore
import Testing

/// Compute hosts as the database lists them; their capacity lives in the Placement below.
struct MemorySchedulerStore: SchedulerStore {
    var hosts: [HostState]
    var aggregateList: [Aggregate] = []
    var groups: [ServerGroup] = []
    var placed: [String: String] = [:]
    func hostStates(now: Date) async throws -> [HostState] { hosts }
    func aggregates() async throws -> [Aggregate] { aggregateList }
    func serverGroup(uuid: String) async throws -> ServerGroup? { groups.first { $0.uuid == uuid } }
    func instanceHosts(_ uuids: [String]) async throws -> [String: String] { placed.filter { uuids.contains($0.key) } }
}

/// Placement in memory, able to lose claims on chosen providers as a concurrent scheduler would make it.
final class TestPlacement: PlacementClient, @unchecked Sendable {
    let service: PlacementService
    var refused: Set<String> = []

    init() async throws { service = try await PlacementService(persistence: TransientPlacementPersistence()) }

    func allocationCandidates(_ query: CandidateQuery) async throws -> CandidateResult {
        try await service.allocationCandidates(query)
    }
    func explainRejections(_ query: CandidateQuery) async throws -> [String: String] {
        try await service.explainRejections(query)
    }
    func claim(_ writes: [AllocationWrite]) async throws -> Bool {
        if writes.contains(where: { !refused.isDisjoint(with: $0.allocations.keys) }) { return false }
        return try await service.claim(writes)
    }
    func deleteAllocations(consumer: String) async throws { try await service.deleteAllocations(consumer: consumer) }
    func reportProvider(_ report: ProviderReport) async throws { try await service.reportProvider(report) }
    func setTrait(_ trait: String, present: Bool, providerNamed name: String) async throws {
        try await service.setTrait(trait, present: present, providerNamed: name)
    }
    func setAggregate(_ aggregateUUID: String, member: Bool, providerNamed name: String) async throws {
        try await service.setAggregate(aggregateUUID, member: member, providerNamed: name)
    }
    func providerUsages() async throws -> [String: (usages: [String: Int], consumers: Int)] {
        try await service.providerUsages()
    }
    func allocations(consumer: String) async throws -> [String: [String: Int]] {
        try await service.allocations(consumer: consumer)
    }
    func moveAllocations(from source: String, to target: String, targetType: String) async throws {
        try await service.moveAllocations(from: source, to: target, targetType: targetType)
    }
    var consumerCount: Int { service.snapshot.consumers.count }
}

func nodeUUID(_ id: Int) -> String { String(format: "00000000-0000-0000-0000-%012d", id) }

struct TestHost {
    var id: Int
    var ram = 8192
    var vcpus = 8
    var disabled = false
    var up = true
    var zone = "nova"

    var state: HostState {
        HostState(
            nodeUUID: nodeUUID(id), host: "host\(id)", nodename: "host\(id)", zone: zone, capacity: .zero,
            used: .zero, instanceCount: 0, serviceDisabled: disabled, serviceUp: up)
    }

    var report: ProviderReport {
        ProviderReport(
            uuid: nodeUUID(id), name: "host\(id)",
            inventories: [
                "VCPU": Inventory(total: vcpus), "MEMORY_MB": Inventory(total: ram), "DISK_GB": Inventory(total: 100),
            ], traits: disabled ? [StandardTraits.computeStatusDisabled] : [])
    }
}

func spec(_ uuids: [String], flavor: Flavor = Flavor.defaults[0], zone: String? = nil) -> RequestSpec {
    RequestSpec(
        instanceUUIDs: uuids, projectID: "p", userID: "u", flavor: flavor, imageRef: "i", availabilityZone: zone)
}

@Suite struct FilterSchedulerTests {
    func setUp(_ hosts: [TestHost], aggregates: [Aggregate] = []) async throws -> (MemorySchedulerStore, TestPlacement)
    {
        let placement = try await TestPlacement()
        for host in hosts { try await placement.reportProvider(host.report) }
        for aggregate in aggregates {
            for host in aggregate.hosts {
                try await placement.setAggregate(aggregate.uuid, member: true, providerNamed: host)
            }
        }
        return (MemorySchedulerStore(hosts: hosts.map(\.state), aggregateList: aggregates), placement)
    }

    func scheduler(_ store: MemorySchedulerStore, _ placement: TestPlacement, weighers: [any HostWeigher]? = nil)
        throws -> FilterScheduler
    {
        FilterScheduler(
            store: store, placement: placement,
            filters: try FilterRegistry.filters(named: FilterRegistry.defaultNames),
            weighers: weighers ?? [RAMWeigher(), CPUWeigher()], clock: SystemClock())
    }

    @Test func disabledAndDownHostsAreNotChosen() async throws {
        let (store, placement) = try await setUp([
            TestHost(id: 1, disabled: true), TestHost(id: 2, up: false), TestHost(id: 3),
        ])
        let selections = try await scheduler(store, placement).selectDestinations(spec(["a"]))
        #expect(selections.map(\.host) == ["host3"])
        #expect(selections.map(\.nodeUUID) == [nodeUUID(3)])
    }

    @Test func instancesSpreadByFreeRAM() async throws {
        let (store, placement) = try await setUp([TestHost(id: 1, ram: 4096), TestHost(id: 2, ram: 8192)])
        let ramOnly = try scheduler(store, placement, weighers: [RAMWeigher()])
        let selections = try await ramOnly.selectDestinations(spec(["a", "b", "c"], flavor: Flavor.defaults[1]))
        #expect(selections.map(\.host) == ["host2", "host2", "host1"])
    }

    @Test func theCPUWeigherBreaksRAMTies() async throws {
        let (store, placement) = try await setUp([
            TestHost(id: 1, ram: 4096, vcpus: 16), TestHost(id: 2, ram: 4096, vcpus: 8),
        ])
        let selections = try await scheduler(store, placement).selectDestinations(spec(["a"]))
        #expect(selections.map(\.host) == ["host1"])
    }

    @Test func noValidHostSaysWhatPlacementAndEachFilterRemoved() async throws {
        let (store, placement) = try await setUp([
            TestHost(id: 1, disabled: true), TestHost(id: 2, ram: 1024), TestHost(id: 3, ram: 16384, up: false),
        ])
        do {
            _ = try await scheduler(store, placement).selectDestinations(spec(["a"], flavor: Flavor.defaults[2]))
            Issue.record("a host was found")
        } catch let error as NovaError {
            #expect(error.code == .noValidHost)
            #expect(
                error.message
                    == "No valid host was found. Out of 3 host(s): Placement: 1 had COMPUTE_STATUS_DISABLED, "
                    + "1 lacked MEMORY_MB:4096; ComputeFilter removed 1.")
        }
    }

    @Test func multiCreateIsAllOrNothing() async throws {
        let (store, placement) = try await setUp([TestHost(id: 1, ram: 2048, vcpus: 2)])
        await #expect(throws: NovaError.self) {
            _ = try await scheduler(store, placement).selectDestinations(
                spec(["a", "b", "c"], flavor: Flavor.defaults[0]))
        }
        #expect(placement.consumerCount == 0)
    }

    @Test func aLostClaimMovesOnToTheNextHost() async throws {
        let (store, placement) = try await setUp([TestHost(id: 1, ram: 16384), TestHost(id: 2)])
        placement.refused = [nodeUUID(1)]
        let selections = try await scheduler(store, placement).selectDestinations(spec(["a"]))
        #expect(selections.map(\.host) == ["host2"])
    }

    @Test func theAvailabilityZoneBecomesAnAggregateConstraint() async throws {
        let zone = Aggregate(
            id: 1, uuid: "11111111-1111-1111-1111-111111111111", name: "a", metadata: ["availability_zone": "az2"],
            hosts: ["host2"], createdAt: Date(), updatedAt: nil)
        let (store, placement) = try await setUp(
            [TestHost(id: 1, ram: 16384), TestHost(id: 2, zone: "az2")], aggregates: [zone])
        let selections = try await scheduler(store, placement).selectDestinations(spec(["a"], zone: "az2"))
        #expect(selections.map(\.host) == ["host2"])
        let query = try await scheduler(store, placement).candidateQuery(spec(["a"], zone: "az2"))
        #expect(query.groups[0].memberOf.anyOf == [[zone.uuid]])
    }

    @Test func claimsAreHeldInPlacement() async throws {
        let (store, placement) = try await setUp([TestHost(id: 1)])
        _ = try await scheduler(store, placement).selectDestinations(spec(["a", "b"]))
        let usage = try await placement.providerUsages()[nodeUUID(1)]
        #expect(usage?.consumers == 2)
        #expect(usage?.usages["MEMORY_MB"] == 1024)
    }

    @Test func unknownFiltersAreAConfigurationError() {
        #expect(throws: NovaError.self) { try FilterRegistry.filters(named: ["RamFilter"]) }
    }

    @Test func preFiltersBecomePlacementConstraints() async throws {
        let tenants = Aggregate(
            id: 2, uuid: "22222222-2222-2222-2222-222222222222", name: "t", metadata: ["filter_tenant_id": "p,q"],
            hosts: ["host1"], createdAt: Date(), updatedAt: nil)
        let (store, placement) = try await setUp([TestHost(id: 1), TestHost(id: 2)], aggregates: [tenants])
        var options = SchedulerOptions()
        options.limitTenantsToPlacementAggregate = true
        options.queryPlacementForImageTypeSupport = true
        let scheduler = try FilterScheduler(store: store, placement: placement, clock: SystemClock(), options: options)
        var request = spec(["a"])
        request.imageProperties = ["disk_format": "qcow2"]
        let query = try await scheduler.candidateQuery(request)
        #expect(query.groups[0].memberOf.anyOf == [[tenants.uuid]])
        #expect(query.groups[0].traits.required == ["COMPUTE_IMAGE_TYPE_QCOW2"])
        #expect(query.groups[0].traits.forbidden == [StandardTraits.computeStatusDisabled])
        options.placementAggregateRequiredForTenants = true
        let strict = try FilterScheduler(store: store, placement: placement, clock: SystemClock(), options: options)
        var stranger = spec(["b"])
        stranger.projectID = "other"
        await #expect(throws: NovaError.self) { _ = try await strict.candidateQuery(stranger) }
    }

    @Test func alternatesFollowTheChosenHost() async throws {
        let (store, placement) = try await setUp([TestHost(id: 1), TestHost(id: 2, ram: 16384), TestHost(id: 3)])
        let selections = try await scheduler(store, placement).selectDestinations(spec(["a"]))
        #expect(selections.first?.host == "host2")
        #expect(selections.first?.alternates.map(\.host) == ["host1", "host3"])
        #expect(selections.first?.alternates.first?.allocations[nodeUUID(1)]?["MEMORY_MB"] == 512)
    }

    @Test func ignoredHostsAreNotConsidered() async throws {
        let (store, placement) = try await setUp([TestHost(id: 1), TestHost(id: 2, ram: 16384)])
        var request = spec(["a"])
        request.ignoreHosts = ["host2"]
        let selections = try await scheduler(store, placement).selectDestinations(request)
        #expect(selections.map(\.host) == ["host1"])
        #expect(selections.first?.alternates.isEmpty == true)
    }
}
