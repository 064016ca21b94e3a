import Foundation

/// One compute node as the scheduler sees it.
public struct HostState: Sendable, Equatable {
    /// The compute node's uuid, which is also its resource provider's.
    public var nodeUUID: String
    public var host: String
    public var nodename: String
    public var zone: String
    public var capacity: Resources
    public var used: Resources
    public var instanceCount: Int
    public var serviceDisabled: Bool
    public var serviceUp: Bool
    public var hypervisorType = "fake"
    public var hypervisorVersion = 0
    public var hostIP = ""
    /// Instances in a task that loads the host's I/O (building, resizing, snapshotting, ...).
    public var ioOps = 0
    /// The metadata of each aggregate the host is in.
    public var aggregates: [[String: String]] = []
    /// Builds that failed on this host recently (BuildFailureWeigher).
    public var failedBuilds = 0

    public init(
        nodeUUID: String, host: String, nodename: String, zone: String, capacity: Resources, used: Resources,
        instanceCount: Int, serviceDisabled: Bool, serviceUp: Bool
    ) {
        self.nodeUUID = nodeUUID
        self.host = host
        self.nodename = nodename
        self.zone = zone
        self.capacity = capacity
        self.used = used
        self.instanceCount = instanceCount
        self.serviceDisabled = serviceDisabled
        self.serviceUp = serviceUp
    }

    /// Values of `key` over the host's aggregates (comma-separated values split), as Nova's
    /// utils.aggregate_values_from_key.
    public func aggregateValues(_ key: String) -> Set<String> {
        var values: Set<String> = []
        for metadata in aggregates {
            if let value = metadata[key] {
                values.formUnion(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            }
        }
        return values
    }

    public var free: Resources {
        Resources(
            vcpus: capacity.vcpus - used.vcpus, memoryMB: capacity.memoryMB - used.memoryMB,
            diskGB: capacity.diskGB - used.diskGB)
    }

    public func fits(_ request: Resources) -> Bool {
        free.vcpus >= request.vcpus && free.memoryMB >= request.memoryMB && free.diskGB >= request.diskGB
    }

    /// Records a claim so later picks in the same request see it.
    public mutating func consume(_ request: Resources) {
        used = used + request
        instanceCount += 1
        ioOps += 1
    }
}
