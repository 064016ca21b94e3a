import NovaCore

/// Keeps members of an anti-affinity group apart: at most `max_server_per_host` (default 1) per host.
public struct ServerGroupAntiAffinityFilter: HostFilter {
    public let name = "ServerGroupAntiAffinityFilter"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool { spec.resolved.groupPolicy == "anti-affinity" }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        guard spec.resolved.groupPolicy == "anti-affinity" else { return true }
        return (spec.resolved.groupHosts[host.host] ?? 0) < (spec.resolved.maxServerPerHost ?? 1)
    }
}

/// Keeps members of an affinity group together: once a member runs somewhere, only that host passes.
public struct ServerGroupAffinityFilter: HostFilter {
    public let name = "ServerGroupAffinityFilter"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool { spec.resolved.groupPolicy == "affinity" }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        guard spec.resolved.groupPolicy == "affinity", !spec.resolved.groupHosts.isEmpty else { return true }
        return spec.resolved.groupHosts[host.host] != nil
    }
}
