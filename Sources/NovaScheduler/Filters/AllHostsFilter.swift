import NovaCore

/// Passes every host.
public struct AllHostsFilter: HostFilter {
    public let name = "AllHostsFilter"
    public init() {}
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool { true }
}
