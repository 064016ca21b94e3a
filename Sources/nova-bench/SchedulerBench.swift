import ArgumentParser
import Foundation
import NovaCore
import NovaScheduler
import PlacementCore

/// One scheduling decision (candidates, filters, weighers, claim) over many simulated hosts, in process.
struct SchedulerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Scheduling decisions over simulated hosts.")

    @Option(help: "Simulated compute hosts.") var hosts = 10_000
    @Option(help: "Decisions to time.") var decisions = 200
    @Option(help: "[scheduler] max_placement_results (Nova's default 1000; 0: every host).") var placementLimit = 1000
    @Option(help: "[scheduler] driver: filter_scheduler, caching_scheduler or chance_scheduler.") var driver =
        "filter_scheduler"
    @Option(help: "Where to write the figures as JSON.") var output = "bench-scheduler.json"

    struct Hosts: SchedulerStore {
        let states: [HostState]
        func hostStates(now: Date) async throws -> [HostState] { states }
        func aggregates() async throws -> [Aggregate] { [] }
        func serverGroup(uuid: String) async throws -> ServerGroup? { nil }
        func instanceHosts(_ uuids: [String]) async throws -> [String: String] { [:] }
    }

    func run() async throws {
        var figures = Figures()
        let placement = try await PlacementService(persistence: TransientPlacementPersistence())
        var states: [HostState] = []
        try await placement.write { state in
            for index in 0..<hosts {
                let uuid = String(format: "00000000-0000-0000-0000-%012d", index)
                try state.createProvider(uuid: uuid, name: "host\(index)", parentUUID: nil)
                try state.setInventories(
                    uuid, generation: nil,
                    [
                        "VCPU": Inventory(total: 64, allocationRatio: 4.0),
                        "MEMORY_MB": Inventory(total: 262_144, reserved: 512), "DISK_GB": Inventory(total: 4000),
                    ])
                states.append(
                    HostState(
                        nodeUUID: uuid, host: "host\(index)", nodename: "host\(index)", zone: "nova", capacity: .zero,
                        used: .zero, instanceCount: 0, serviceDisabled: false, serviceUp: true))
            }
        }
        var options = SchedulerOptions()
        options.maxPlacementResults = placementLimit > 0 ? placementLimit : hosts
        options.driver = driver
        let scheduler = try FilterScheduler(
            store: Hosts(states: states), placement: placement, clock: SystemClock(), options: options)
        figures.add(
            "placement_candidates_\(hosts)_limit_\(options.maxPlacementResults)",
            try await Self.phases(placement, limit: options.maxPlacementResults), "ms")
        var latencies: [Double] = []
        for index in 0..<decisions {
            let spec = RequestSpec(
                instanceUUIDs: ["bench-\(index)"], projectID: "p", userID: "u", flavor: Flavor.defaults[1],
                imageRef: "image")
            let start = ContinuousClock.now
            _ = try await scheduler.selectDestinations(spec)
            latencies.append((ContinuousClock.now - start).seconds * 1000)
        }
        latencies.sort()
        let name = "schedule_\(driver)_\(hosts)_hosts_limit_\(options.maxPlacementResults)"
        figures.add("\(name)_p50", latencies[latencies.count / 2], "ms")
        figures.add("\(name)_p99", latencies[latencies.count * 99 / 100], "ms")
        try figures.write(to: output)
    }
}

extension SchedulerBench {
    /// Where a decision's time goes: Placement's candidate search alone, then the whole decision.
    static func phases(_ placement: PlacementService, limit: Int) async throws -> Double {
        let query = CandidateQuery.resources(["VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20], limit: limit)
        let start = ContinuousClock.now
        for _ in 0..<50 { _ = try await placement.allocationCandidates(query) }
        return (ContinuousClock.now - start).seconds * 1000 / 50
    }
}
