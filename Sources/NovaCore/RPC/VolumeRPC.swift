/// `attach_volume` / `detach_volume`: a volume's block device mapping on a server of the host.
public struct VolumeAttachRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var device: BlockDeviceMapping
    public init(instance: Instance, device: BlockDeviceMapping) {
        self.instance = instance
        self.device = device
    }
}

extension ComputeRPCAPI {
    /// attach_volume (a cast, as in Nova): the host connects the reserved attachment and gives the guest the
    /// disk; a failure takes the reservation back.
    public func attachVolume(_ instance: Instance, device: BlockDeviceMapping, host: String, context: RPCContext)
        async throws
    {
        try await client.cast(
            topic: Self.topic(host: host), method: "attach_volume",
            args: VolumeAttachRequest(instance: instance, device: device), context: context)
    }

    /// detach_volume (a cast).
    public func detachVolume(_ instance: Instance, device: BlockDeviceMapping, host: String, context: RPCContext)
        async throws
    {
        try await client.cast(
            topic: Self.topic(host: host), method: "detach_volume",
            args: VolumeAttachRequest(instance: instance, device: device), context: context)
    }
}
