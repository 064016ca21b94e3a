import NovaCore

/// Passes hosts whose compute service is enabled and up.
public struct ComputeFilter: HostFilter {
    public let name = "ComputeFilter"
    public init() {}
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool { !host.serviceDisabled && host.serviceUp }
}
