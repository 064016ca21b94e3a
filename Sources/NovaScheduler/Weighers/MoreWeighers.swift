import NovaCore

/// Spreads by free disk (`[filter_scheduler] disk_weight_multiplier`, 1.0).
public struct DiskWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = 1.0) { self.multiplier = multiplier }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double { Double(host.free.diskGB) }
}

/// By instance count (`num_instances_weight_multiplier`, 0.0: off; negative spreads).
public struct NumInstancesWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = 0.0) { self.multiplier = multiplier }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double { Double(host.instanceCount) }
}

/// By I/O-heavy tasks (`io_ops_weight_multiplier`, -1.0: prefer quiet hosts).
public struct IoOpsWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = -1.0) { self.multiplier = multiplier }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double { Double(host.ioOps) }
}

/// Hosts where builds failed recently sink (`build_failure_weight_multiplier`, 1000000.0).
public struct BuildFailureWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = 1_000_000.0) { self.multiplier = multiplier }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double { -Double(host.failedBuilds) }
}

/// Prefers newer hypervisors (`hypervisor_version_weight_multiplier`, 1.0).
public struct HypervisorVersionWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = 1.0) { self.multiplier = multiplier }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double { Double(host.hypervisorVersion) }
}

/// soft-affinity groups: towards hosts with more members (`soft_affinity_weight_multiplier`, 1.0).
public struct ServerGroupSoftAffinityWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = 1.0) { self.multiplier = multiplier }
    public func applies(to spec: RequestSpec) -> Bool { spec.resolved.groupPolicy == "soft-affinity" }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double {
        guard spec.resolved.groupPolicy == "soft-affinity" else { return 0 }
        return Double(spec.resolved.groupHosts[host.host] ?? 0)
    }
}

/// soft-anti-affinity groups: away from hosts with members (`soft_anti_affinity_weight_multiplier`, 1.0).
public struct ServerGroupSoftAntiAffinityWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = 1.0) { self.multiplier = multiplier }
    public func applies(to spec: RequestSpec) -> Bool { spec.resolved.groupPolicy == "soft-anti-affinity" }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double {
        guard spec.resolved.groupPolicy == "soft-anti-affinity" else { return 0 }
        return -Double(spec.resolved.groupHosts[host.host] ?? 0)
    }
}

/// The chance scheduler's order: a random weight per host and request.
public struct ChanceWeigher: HostWeigher {
    public let multiplier = 1.0
    public init() {}
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double { Double.random(in: 0..<1) }
}
