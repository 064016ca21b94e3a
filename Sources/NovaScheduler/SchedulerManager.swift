import NovaCore

extension FilterScheduler {
    /// The RPC methods of the `scheduler` topic.
    public func dispatcher() -> RPCDispatcher {
        var dispatcher = RPCDispatcher()
        dispatcher.on("select_destinations") { (spec: RequestSpec, _) in try await selectDestinations(spec) }
        return dispatcher
    }
}
