import NovaCore

/// At most `[filter_scheduler] max_instances_per_host` (50) instances on a host.
public struct NumInstancesFilter: HostFilter {
    public let name = "NumInstancesFilter"
    let maxInstances: Int
    public init(maxInstancesPerHost: Int = 50) { maxInstances = maxInstancesPerHost }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool { host.instanceCount < maxInstances }
}

/// At most `[filter_scheduler] max_io_ops_per_host` (8) I/O-heavy tasks on a host.
public struct IoOpsFilter: HostFilter {
    public let name = "IoOpsFilter"
    let maxIOOps: Int
    public init(maxIOOpsPerHost: Int = 8) { maxIOOps = maxIOOpsPerHost }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool { host.ioOps < maxIOOps }
}
