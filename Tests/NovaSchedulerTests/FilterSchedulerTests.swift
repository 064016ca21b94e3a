import Foundation
import NovaCore
import NovaScheduler
import Testing

/// An in-memory scheduler store with the same claim rule as the database one.
actor MemorySchedulerStore: SchedulerStore {
    var hosts: [HostState]
    var claims: [String: (Int, Resources)] = [:]
    var refuseClaimsOn: Set<Int> = []

    init(hosts: [HostState]) { self.hosts = hosts }

    func hostStates(now: Date) async throws -> [HostState] {
        hosts.map { host in
            var host = host
            for (_, claim) in claims where claim.0 == host.nodeID { host.consume(claim.1) }
            return host
        }
    }

    func claim(consumer: String, projectID: String, userID: String, nodeID: Int, resources: Resources) async throws
        -> Bool
    {
        if refuseClaimsOn.contains(nodeID) { return false }
        guard let host = try await hostStates(now: Date()).first(where: { $0.nodeID == nodeID }), host.fits(resources)
        else {
            return false
        }
        claims[consumer] = (nodeID, resources)
        return true
    }

    func releaseAllocation(consumer: String) async throws { claims[consumer] = nil }
    func refuse(_ nodeID: Int) { refuseClaimsOn.insert(nodeID) }
    var claimCount: Int { claims.count }
}

func host(_ id: Int, ram: Int = 8192, vcpus: Int = 8, disabled: Bool = false, up: Bool = true, zone: String = "nova")
    -> HostState
{
    HostState(
        nodeID: id, host: "host\(id)", nodename: "host\(id)", zone: zone,
        capacity: Resources(vcpus: vcpus, memoryMB: ram, diskGB: 100), used: .zero, instanceCount: 0,
        serviceDisabled: disabled, serviceUp: up)
}

func spec(_ uuids: [String], flavor: Flavor = Flavor.defaults[0], zone: String? = nil) -> RequestSpec {
    RequestSpec(
        instanceUUIDs: uuids, projectID: "p", userID: "u", flavor: flavor, imageRef: "i", availabilityZone: zone)
}

@Suite struct FilterSchedulerTests {
    func scheduler(_ store: MemorySchedulerStore) throws -> FilterScheduler {
        FilterScheduler(
            store: store, filters: try FilterRegistry.filters(named: FilterRegistry.defaultNames), clock: SystemClock())
    }

    @Test func disabledAndDownHostsAreNotChosen() async throws {
        let store = MemorySchedulerStore(hosts: [host(1, disabled: true), host(2, up: false), host(3)])
        let selections = try await scheduler(store).selectDestinations(spec(["a"]))
        #expect(selections.map(\.host) == ["host3"])
    }

    @Test func instancesSpreadByFreeRAM() async throws {
        let store = MemorySchedulerStore(hosts: [host(1, ram: 4096), host(2, ram: 8192)])
        let ramOnly = FilterScheduler(
            store: store, filters: try FilterRegistry.filters(named: FilterRegistry.defaultNames),
            weighers: [RAMWeigher()],
            clock: SystemClock())
        let selections = try await ramOnly.selectDestinations(spec(["a", "b", "c"], flavor: Flavor.defaults[1]))
        #expect(selections.map(\.host) == ["host2", "host2", "host1"])
    }

    @Test func theCPUWeigherBreaksRAMTies() async throws {
        let store = MemorySchedulerStore(hosts: [host(1, ram: 4096, vcpus: 16), host(2, ram: 4096, vcpus: 8)])
        let selections = try await scheduler(store).selectDestinations(spec(["a"]))
        #expect(selections.map(\.host) == ["host1"])
    }

    @Test func noValidHostSaysWhichFilterRemovedHosts() async throws {
        let store = MemorySchedulerStore(hosts: [host(1, disabled: true), host(2, ram: 1024)])
        do {
            _ = try await scheduler(store).selectDestinations(spec(["a"], flavor: Flavor.defaults[2]))
            Issue.record("a host was found")
        } catch let error as NovaError {
            #expect(error.code == .noValidHost)
            #expect(
                error.message
                    == "No valid host was found. Out of 2 host(s): ComputeFilter removed 1, ResourceCapacityFilter removed 1."
            )
        }
    }

    @Test func multiCreateIsAllOrNothing() async throws {
        let store = MemorySchedulerStore(hosts: [host(1, ram: 2048, vcpus: 2)])
        await #expect(throws: NovaError.self) {
            _ = try await scheduler(store).selectDestinations(spec(["a", "b", "c"], flavor: Flavor.defaults[0]))
        }
        #expect(await store.claimCount == 0)
    }

    @Test func aLostClaimMovesOnToTheNextHost() async throws {
        let store = MemorySchedulerStore(hosts: [host(1, ram: 16384), host(2)])
        await store.refuse(1)
        let selections = try await scheduler(store).selectDestinations(spec(["a"]))
        #expect(selections.map(\.host) == ["host2"])
    }

    @Test func theAvailabilityZoneIsRespected() async throws {
        let store = MemorySchedulerStore(hosts: [host(1, ram: 16384), host(2, zone: "az2")])
        let selections = try await scheduler(store).selectDestinations(spec(["a"], zone: "az2"))
        #expect(selections.map(\.host) == ["host2"])
    }

    @Test func unknownFiltersAreAConfigurationError() {
        #expect(throws: NovaError.self) { try FilterRegistry.filters(named: ["RamFilter"]) }
    }
}
