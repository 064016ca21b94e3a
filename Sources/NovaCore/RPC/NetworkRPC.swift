/// `external_instance_event`: events for servers of one host.
public struct ExternalEventsRequest: Sendable, Codable, Equatable {
    public var events: [ServerExternalEvent]
    public init(events: [ServerExternalEvent]) { self.events = events }
}

/// `attach_interface`: a port (the user's) or a new one on a network, for a server.
public struct InterfaceAttachRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var request: NetworkRequest
    public init(instance: Instance, request: NetworkRequest) {
        self.instance = instance
        self.request = request
    }
}

/// `detach_interface`: a server's port to unplug and release.
public struct InterfaceDetachRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var portID: String
    public init(instance: Instance, portID: String) {
        self.instance = instance
        self.portID = portID
    }
}

extension ComputeRPCAPI {
    /// external_instance_event (a cast): events from the networking service for servers on `host`.
    public func externalInstanceEvents(_ events: [ServerExternalEvent], host: String, context: RPCContext)
        async throws
    {
        try await client.cast(
            topic: Self.topic(host: host), method: "external_instance_event",
            args: ExternalEventsRequest(events: events), context: context)
    }

    /// attach_interface (a call): the port the server got.
    public func attachInterface(_ instance: Instance, request: NetworkRequest, host: String, context: RPCContext)
        async throws -> PortSummary
    {
        try await client.call(
            topic: Self.topic(host: host), method: "attach_interface",
            args: InterfaceAttachRequest(instance: instance, request: request), context: context)
    }

    /// detach_interface (a cast).
    public func detachInterface(_ instance: Instance, portID: String, host: String, context: RPCContext)
        async throws
    {
        try await client.cast(
            topic: Self.topic(host: host), method: "detach_interface",
            args: InterfaceDetachRequest(instance: instance, portID: portID), context: context)
    }
}
