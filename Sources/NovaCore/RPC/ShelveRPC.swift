/// What unshelve asks of the conductor for an offloaded server (2.77 availability zone, 2.91 host).
public struct UnshelveRequest: Sendable, Codable, Equatable {
    public var instanceUUID: String
    public var availabilityZone: String?
    public var host: String?

    public init(instanceUUID: String, availabilityZone: String? = nil, host: String? = nil) {
        self.instanceUUID = instanceUUID
        self.availabilityZone = availabilityZone
        self.host = host
    }
}

extension ConductorRPCAPI {
    /// unshelve_instance (a cast): schedule an offloaded server and send it to its new host.
    public func unshelveInstance(_ request: UnshelveRequest, context: RPCContext) async throws {
        try await client.cast(topic: Self.topic, method: "unshelve_instance", args: request, context: context)
    }

    /// A server leaves its host (shelve offload, or an unshelve rolled back): the update, which clears the
    /// host, and the release of the server's allocation.
    public func instanceOffload(_ uuid: String, _ update: InstanceUpdate, context: RPCContext) async throws {
        let _: Instance = try await client.call(
            topic: Self.topic, method: "instance_offload", args: InstanceUpdateRequest(uuid: uuid, update: update),
            context: context)
    }
}
