import NovaCore

extension FilterScheduler {
    /// The RPC methods of the `scheduler` topic.
    public func dispatcher() -> RPCDispatcher {
        var dispatcher = RPCDispatcher()
        dispatcher.on("select_destinations") { (spec: RequestSpec, _) in try await selectDestinations(spec) }
        dispatcher.on("explain") { (spec: RequestSpec, _) in try await explain(spec) }
        return dispatcher
    }
}

extension FilterScheduler {
    /// The stages of `selectDestinations` for the spec's first instance, claiming nothing.
    public func explain(_ spec: RequestSpec) async throws -> SchedulingExplanation {
        let (spec, known, query, _, hosts) = try await candidates(spec)
        let outcome = filterHosts(hosts, spec)
        let ranked = rank(outcome.passed, spec)
        let weights = totals(ranked, spec)
        let reasons = try await placementReasons(known, hosts, query)
        let message =
            ranked.first.map { "\($0.host) would be chosen out of \(known.count) host(s)." }
            ?? NoValidHost(hostCount: known.count, placement: reasons, removals: outcome.removals).message
        return SchedulingExplanation(
            hostCount: known.count, placement: Dictionary(reasons, uniquingKeysWith: +),
            filters: outcome.removals.map(\.0), removed: outcome.removals.map(\.1),
            weighed: zip(ranked, weights).map {
                SchedulingExplanation.Weighed(host: $0.host, nodename: $0.nodename, weight: $1)
            }, message: message)
    }
}
