import NovaCore

/// Passes hosts with room for the flavor's VCPU, MEMORY_MB and DISK_GB after allocation ratios and reserved
/// amounts: the capacity rule Placement applies to allocation candidates.
public struct ResourceCapacityFilter: HostFilter {
    public let name = "ResourceCapacityFilter"
    public init() {}
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool { host.fits(spec.flavor.resources) }
}
