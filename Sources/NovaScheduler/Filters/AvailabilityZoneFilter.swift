import NovaCore

/// Passes hosts in the requested availability zone (Nova maps this to a Placement aggregate; same outcome).
public struct AvailabilityZoneFilter: HostFilter {
    public let name = "AvailabilityZoneFilter"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool { !(spec.availabilityZone ?? "").isEmpty }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        guard let zone = spec.availabilityZone, !zone.isEmpty else { return true }
        return host.zone == zone
    }
}
