import NovaCore

/// Picks hosts: filter, weigh, claim (nova/scheduler/manager.py select_destinations, without Placement yet).
public struct FilterScheduler: Sendable {
    let store: any SchedulerStore
    let filters: [any HostFilter]
    let weighers: [any HostWeigher]
    let clock: any WallClock

    public init(
        store: any SchedulerStore, filters: [any HostFilter],
        weighers: [any HostWeigher] = [RAMWeigher(), CPUWeigher()],
        clock: any WallClock
    ) {
        self.store = store
        self.filters = filters
        self.weighers = weighers
        self.clock = clock
    }

    /// Chooses and claims a host for every instance of the spec, or none: a partial multi-create is undone.
    public func selectDestinations(_ spec: RequestSpec) async throws -> [Selection] {
        var hosts = try await store.hostStates(now: clock.now)
        if let forced = spec.forcedHost {
            hosts = hosts.filter { $0.host == forced }
            if hosts.isEmpty { throw NovaError.badRequest("Compute host \(forced) could not be found.") }
        }
        var selections: [Selection] = []
        for uuid in spec.instanceUUIDs {
            let outcome = filterHosts(hosts, spec)
            var claimed: Selection?
            for host in rank(outcome.passed, spec) {
                if try await store.claim(
                    consumer: uuid, projectID: spec.projectID, userID: spec.userID, nodeID: host.nodeID,
                    resources: spec.flavor.resources)
                {
                    claimed = Selection(
                        instanceUUID: uuid, host: host.host, nodename: host.nodename, nodeID: host.nodeID)
                    if let index = hosts.firstIndex(where: { $0.nodeID == host.nodeID }) {
                        hosts[index].consume(spec.flavor.resources)
                    }
                    break
                }
            }
            guard let claimed else {
                for selection in selections {
                    try await store.releaseAllocation(consumer: selection.instanceUUID)
                }
                throw NoValidHost(hostCount: hosts.count, removals: outcome.removals).error
            }
            selections.append(claimed)
        }
        return selections
    }

    /// Runs the filters in order, counting what each removed.
    public func filterHosts(_ hosts: [HostState], _ spec: RequestSpec) -> (
        passed: [HostState], removals: [(String, Int)]
    ) {
        var remaining = hosts
        var removals: [(String, Int)] = []
        for filter in filters {
            let before = remaining.count
            remaining = remaining.filter { filter.passes($0, spec) }
            removals.append((filter.name, before - remaining.count))
            if remaining.isEmpty { break }
        }
        return (remaining, removals)
    }

    /// Orders hosts best first: each weigher's weights normalised to 0...1, times its multiplier, summed.
    public func rank(_ hosts: [HostState], _ spec: RequestSpec) -> [HostState] {
        guard hosts.count > 1 else { return hosts }
        var totals = Array(repeating: 0.0, count: hosts.count)
        for weigher in weighers where weigher.multiplier != 0 {
            let raw = hosts.map { weigher.weight($0, spec) }
            let low = raw.min() ?? 0
            let high = raw.max() ?? 0
            for index in hosts.indices {
                let normalised = high > low ? (raw[index] - low) / (high - low) : 0
                totals[index] += normalised * weigher.multiplier
            }
        }
        return hosts.indices.sorted {
            totals[$0] > totals[$1] || (totals[$0] == totals[$1] && hosts[$0].host < hosts[$1].host)
        }
        .map { hosts[$0] }
    }
}

/// Nova's NoValidHost, with the reason Nova does not give: how many hosts each filter removed.
public struct NoValidHost: Sendable {
    public let hostCount: Int
    public let removals: [(String, Int)]

    public var message: String {
        var text = "No valid host was found. "
        if hostCount == 0 {
            text += "There are no compute hosts with a reported inventory."
        } else {
            let reasons = removals.filter { $0.1 > 0 }.map { "\($0.0) removed \($0.1)" }
            text += "Out of \(hostCount) host(s): " + reasons.joined(separator: ", ") + "."
        }
        return text
    }

    public var error: NovaError { NovaError(.noValidHost, message) }
}
