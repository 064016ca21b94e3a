import NovaCore

/// `different_host` hint: not on a host of the named instances.
public struct DifferentHostFilter: HostFilter {
    public let name = "DifferentHostFilter"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool { spec.resolved.differentHosts != nil }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        !(spec.resolved.differentHosts?.contains(host.host) ?? false)
    }
}

/// `same_host` hint: on a host of the named instances.
public struct SameHostFilter: HostFilter {
    public let name = "SameHostFilter"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool { spec.resolved.sameHosts != nil }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        spec.resolved.sameHosts?.contains(host.host) ?? true
    }
}

/// `build_near_host_ip` + `cidr` hints: a host whose IP is in that network.
public struct SimpleCIDRAffinityFilter: HostFilter {
    public let name = "SimpleCIDRAffinityFilter"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool { spec.resolved.nearNetwork != nil }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        guard let near = spec.resolved.nearNetwork else { return true }
        let parts = near.split(separator: "/")
        guard parts.count == 2, let length = Int(parts[1]) else { return false }
        return IPv4Network.sameNetwork(String(parts[0]), host.hostIP, prefixLength: length)
    }
}
