import NovaCore
import PlacementCore

/// Picks hosts as Nova's scheduler manager does (select_destinations): request pre-filters, Placement
/// allocation candidates, filters, weighers, then a claim in Placement, the next host on a lost race.
public struct FilterScheduler: Sendable {
    let store: any SchedulerStore
    let placement: any PlacementClient
    let filters: [any HostFilter]
    let weighers: [any HostWeigher]
    let clock: any WallClock
    let options: SchedulerOptions

    public init(
        store: any SchedulerStore, placement: any PlacementClient, filters: [any HostFilter],
        weighers: [any HostWeigher] = [RAMWeigher(), CPUWeigher()], clock: any WallClock,
        options: SchedulerOptions = SchedulerOptions()
    ) {
        self.store = store
        self.placement = placement
        self.filters = filters
        self.weighers = weighers
        self.clock = clock
        self.options = options
    }

    /// The scheduler `[scheduler] driver` names: `filter_scheduler` (the enabled filters, every weigher),
    /// `caching_scheduler` (the same over host state kept in memory) or `chance_scheduler` (a random host
    /// among those Placement offers whose compute service is up).
    public init(
        store: any SchedulerStore, placement: any PlacementClient, clock: any WallClock, options: SchedulerOptions
    ) throws {
        switch options.driver {
        case "filter_scheduler":
            self.init(
                store: store, placement: placement,
                filters: try FilterRegistry.filters(named: options.enabledFilters, options: options),
                weighers: FilterRegistry.weighers(options), clock: clock, options: options)
        case "caching_scheduler":
            self.init(
                store: CachingSchedulerStore(base: store, ttl: options.hostStateCacheSeconds), placement: placement,
                filters: try FilterRegistry.filters(named: options.enabledFilters, options: options),
                weighers: FilterRegistry.weighers(options), clock: clock, options: options)
        case "chance_scheduler":
            self.init(
                store: store, placement: placement, filters: [ComputeFilter()], weighers: [ChanceWeigher()],
                clock: clock, options: options)
        default:
            throw NovaError.badRequest(
                "[scheduler] driver = \(options.driver): filter_scheduler, caching_scheduler or chance_scheduler")
        }
    }

    /// Chooses and claims a host for every instance of the spec, or none: a partial multi-create is undone.
    /// Each selection carries up to `max_attempts - 1` alternates for a reschedule.
    public func selectDestinations(_ spec: RequestSpec) async throws -> [Selection] {
        var (spec, known, query, requests, hosts) = try await candidates(spec)
        var selections: [Selection] = []
        for uuid in spec.instanceUUIDs {
            let outcome = filterHosts(hosts, spec)
            var claimed: Selection?
            let ranked = pickOrder(rank(outcome.passed, spec))
            for (index, host) in ranked.enumerated() {
                guard let request = requests[host.nodeUUID] else { continue }
                let write = AllocationWrite(
                    consumerUUID: uuid, allocations: request.allocations, projectID: spec.projectID,
                    userID: spec.userID, consumerGeneration: nil, consumerType: "INSTANCE")
                guard try await placement.claim([write]) else { continue }
                let alternates = ranked.dropFirst(index + 1).prefix(max(0, options.maxAttempts - 1)).compactMap {
                    other in
                    requests[other.nodeUUID].map {
                        var choice = HostChoice(
                            host: other.host, nodename: other.nodename, nodeUUID: other.nodeUUID,
                            allocations: $0.allocations)
                        choice.zone = other.zone
                        return choice
                    }
                }
                claimed = Selection(
                    instanceUUID: uuid, host: host.host, nodename: host.nodename, nodeUUID: host.nodeUUID,
                    alternates: alternates)
                claimed?.zone = host.zone
                if let position = hosts.firstIndex(where: { $0.nodeUUID == host.nodeUUID }) {
                    hosts[position].consume(spec.resources)
                }
                spec.resolved.groupHosts[host.host, default: 0] += 1
                break
            }
            guard let claimed else {
                for selection in selections {
                    try await placement.deleteAllocations(consumer: selection.instanceUUID)
                }
                let reasons = try await placementReasons(known, hosts, query)
                throw NoValidHost(hostCount: known.count, placement: reasons, removals: outcome.removals).error
            }
            selections.append(claimed)
        }
        return selections
    }

    /// The stages before filtering, shared by `selectDestinations` and `explain`: hints resolved, the hosts
    /// the request may use, the Placement query, each host's first allocation request, and the hosts
    /// Placement offered with their capacity and usage.
    func candidates(_ request: RequestSpec) async throws -> (
        spec: RequestSpec, known: [String: HostState], query: CandidateQuery, requests: [String: AllocationRequest],
        hosts: [HostState]
    ) {
        var spec = request
        spec.resolved = try await resolveHints(spec)
        let known = try await consideredHosts(spec)
        var query = try await candidateQuery(spec)
        // A forced or requested host is asked of Placement by its provider (Nova's in_tree), so a result limit
        // cannot leave it out.
        if spec.forcedHost != nil, known.count == 1, let node = known.values.first?.nodeUUID {
            for index in query.groups.indices { query.groups[index].inTree = node }
        }
        let result = try await placement.allocationCandidates(query)
        var requests: [String: AllocationRequest] = [:]
        for request in result.requests where requests[request.rootUUID] == nil {
            requests[request.rootUUID] = request
        }
        return (spec, known, query, requests, hostStates(known, result.requests, result.summaries))
    }

    /// The compute nodes a request may use: a forced host alone, and never the hosts it says to ignore.
    func consideredHosts(_ spec: RequestSpec) async throws -> [String: HostState] {
        var known = try await store.hostIndex(now: clock.now)
        if let forced = spec.forcedHost {
            known = known.filter { $0.value.host == forced }
            if known.isEmpty { throw NovaError.badRequest("Compute host \(forced) could not be found.") }
        }
        if !spec.ignoreHosts.isEmpty { known = known.filter { !spec.ignoreHosts.contains($0.value.host) } }
        return known
    }

    /// The hosts Placement offered, with capacity and usage from its provider summaries.
    func hostStates(
        _ known: [String: HostState], _ requests: [AllocationRequest], _ summaries: [ResourceProvider]
    ) -> [HostState] {
        let providers = Dictionary(summaries.map { ($0.uuid, $0) }, uniquingKeysWith: { first, _ in first })
        var seen: Set<String> = []
        return requests.compactMap { request in
            guard seen.insert(request.rootUUID).inserted, var host = known[request.rootUUID],
                let provider = providers[request.rootUUID]
            else { return nil }
            host.capacity = Resources(
                vcpus: provider.inventories["VCPU"]?.capacity ?? 0,
                memoryMB: provider.inventories["MEMORY_MB"]?.capacity ?? 0,
                diskGB: provider.inventories["DISK_GB"]?.capacity ?? 0)
            host.used = Resources(
                vcpus: provider.usages["VCPU"] ?? 0, memoryMB: provider.usages["MEMORY_MB"] ?? 0,
                diskGB: provider.usages["DISK_GB"] ?? 0)
            return host
        }
    }

    /// `host_subset_size`: the first choice is random among the best N, so concurrent schedulers spread.
    func pickOrder(_ ranked: [HostState]) -> [HostState] {
        let size = min(max(1, options.hostSubsetSize), ranked.count)
        guard size > 1 else { return ranked }
        var order = ranked
        order.swapAt(0, Int.random(in: 0..<size))
        return order
    }

    /// Why Placement left hosts out, counted by reason, most common first.
    func placementReasons(_ known: [String: HostState], _ candidates: [HostState], _ query: CandidateQuery)
        async throws -> [(String, Int)]
    {
        guard candidates.count < known.count else { return [] }
        let explained = try await placement.explainRejections(query)
        let kept = Set(candidates.map(\.nodeUUID))
        var counts: [String: Int] = [:]
        for host in known.values where !kept.contains(host.nodeUUID) {
            counts[explained[host.nodeUUID] ?? "had no resource provider inventory", default: 0] += 1
        }
        return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) }
    }

    /// Runs the filters in order, counting what each removed (over indices: hosts are copied once).
    public func filterHosts(_ hosts: [HostState], _ spec: RequestSpec) -> (
        passed: [HostState], removals: [(String, Int)]
    ) {
        // A forced host (Nova's force_hosts) is taken as it is.
        if spec.bypass != nil, spec.forcedHost != nil { return (hosts, []) }
        var remaining = Array(hosts.indices)
        var removals: [(String, Int)] = []
        for filter in filters where filter.applies(to: spec) {
            let before = remaining.count
            remaining.removeAll { !filter.passes(hosts[$0], spec) }
            removals.append((filter.name, before - remaining.count))
            if remaining.isEmpty { break }
        }
        return (remaining.map { hosts[$0] }, removals)
    }

    /// Orders hosts best first: each weigher's weights normalised to 0...1, times its multiplier, summed.
    public func rank(_ hosts: [HostState], _ spec: RequestSpec) -> [HostState] {
        guard hosts.count > 1 else { return hosts }
        let weights = totals(hosts, spec)
        return hosts.indices.sorted {
            weights[$0] > weights[$1] || (weights[$0] == weights[$1] && hosts[$0].host < hosts[$1].host)
        }
        .map { hosts[$0] }
    }

    /// Each host's total weight.
    public func totals(_ hosts: [HostState], _ spec: RequestSpec) -> [Double] {
        var totals = Array(repeating: 0.0, count: hosts.count)
        for weigher in weighers where weigher.multiplier != 0 && weigher.applies(to: spec) {
            let raw = hosts.map { weigher.weight($0, spec) }
            let low = raw.min() ?? 0
            let high = raw.max() ?? 0
            for index in hosts.indices {
                let normalised = high > low ? (raw[index] - low) / (high - low) : 0
                totals[index] += normalised * weigher.multiplier
            }
        }
        return totals
    }
}

/// Nova's NoValidHost, with the reason Nova does not give: how many hosts Placement left out and why, and
/// how many each filter removed.
public struct NoValidHost: Sendable {
    public let hostCount: Int
    public let placement: [(String, Int)]
    public let removals: [(String, Int)]
    /// A request pre-filter's refusal, said as it is.
    public let reason: String?

    public init(hostCount: Int, placement: [(String, Int)] = [], removals: [(String, Int)], reason: String? = nil) {
        self.hostCount = hostCount
        self.placement = placement
        self.removals = removals
        self.reason = reason
    }

    public var message: String {
        let text = "No valid host was found. "
        if let reason { return text + reason }
        guard hostCount > 0 else { return text + "There are no compute hosts with a reported inventory." }
        var parts: [String] = []
        if !placement.isEmpty {
            parts.append("Placement: " + placement.map { "\($0.1) \($0.0)" }.joined(separator: ", "))
        }
        let removed = removals.filter { $0.1 > 0 }.map { "\($0.0) removed \($0.1)" }
        if !removed.isEmpty { parts.append(removed.joined(separator: ", ")) }
        return text + "Out of \(hostCount) host(s): " + parts.joined(separator: "; ") + "."
    }

    public var error: NovaError { NovaError(.noValidHost, message) }
}
