/// `attach_volume` / `detach_volume`: a volume's block device mapping on a server of the host.
public struct VolumeAttachRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var device: BlockDeviceMapping
    public init(instance: Instance, device: BlockDeviceMapping) {
        self.instance = instance
        self.device = device
    }
}

/// `swap_volume`: the guest's disk moves from `old`'s volume to `new`'s (reserved for the server).
public struct VolumeSwapRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var old: BlockDeviceMapping
    public var new: BlockDeviceMapping
    public init(instance: Instance, old: BlockDeviceMapping, new: BlockDeviceMapping) {
        self.instance = instance
        self.old = old
        self.new = new
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

    /// swap_volume (a cast).
    public func swapVolume(
        _ instance: Instance, old: BlockDeviceMapping, new: BlockDeviceMapping, host: String, context: RPCContext
    ) async throws {
        try await client.cast(
            topic: Self.topic(host: host), method: "swap_volume",
            args: VolumeSwapRequest(instance: instance, old: old, new: new), context: context)
    }
}
