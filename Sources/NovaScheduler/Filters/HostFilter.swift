import NovaCore

/// A scheduler filter: keeps the hosts that can take the request (nova/scheduler/filters).
public protocol HostFilter: Sendable {
    /// Nova's class name, used in `[filter_scheduler] enabled_filters` and in NoValidHost reasons.
    var name: String { get }
    func passes(_ host: HostState, _ spec: RequestSpec) -> Bool
}

/// The filters this scheduler knows, by Nova's names.
public enum FilterRegistry {
    public static let all: [any HostFilter] = [
        AllHostsFilter(), ComputeFilter(), AvailabilityZoneFilter(),
    ]

    /// Nova's default list as far as this scheduler has the filters; capacity is Placement's.
    public static let defaultNames = ["ComputeFilter", "AvailabilityZoneFilter"]

    /// The filters named; an unknown name is a configuration error.
    public static func filters(named names: [String]) throws(NovaError) -> [any HostFilter] {
        try names.map { (name: String) throws(NovaError) -> any HostFilter in
            guard let filter = all.first(where: { $0.name == name }) else {
                throw .badRequest("Unknown scheduler filter \(name); known: \(all.map(\.name).joined(separator: ", "))")
            }
            return filter
        }
    }
}
