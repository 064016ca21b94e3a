import Foundation
import NovaCore

/// A scheduler filter: keeps the hosts that can take the request (nova/scheduler/filters).
public protocol HostFilter: Sendable {
    /// Nova's class name, used in `[filter_scheduler] enabled_filters` and in NoValidHost reasons.
    var name: String { get }
    func passes(_ host: HostState, _ spec: RequestSpec) -> Bool
    /// Whether the filter has anything to check for this request; when not, it is skipped (it would pass
    /// every host), as Nova's filters return early.
    func applies(to spec: RequestSpec) -> Bool
}

extension HostFilter {
    public func applies(to spec: RequestSpec) -> Bool { true }
}

/// `[filter_scheduler]` and `[scheduler]` options, with Nova's names and defaults.
public struct SchedulerOptions: Sendable {
    public var enabledFilters = FilterRegistry.defaultNames
    public var maxInstancesPerHost = 50
    public var maxIOOpsPerHost = 8
    public var isolatedImages: [String] = []
    public var isolatedHosts: [String] = []
    public var restrictIsolatedHostsToIsolatedImages = true
    public var ramWeightMultiplier = 1.0
    public var cpuWeightMultiplier = 1.0
    public var diskWeightMultiplier = 1.0
    public var numInstancesWeightMultiplier = 0.0
    public var ioOpsWeightMultiplier = -1.0
    public var buildFailureWeightMultiplier = 1_000_000.0
    public var hypervisorVersionWeightMultiplier = 1.0
    public var softAffinityWeightMultiplier = 1.0
    public var softAntiAffinityWeightMultiplier = 1.0
    /// Pick at random among this many best hosts (spreads concurrent schedulers).
    public var hostSubsetSize = 1
    /// `[scheduler] max_attempts`: the chosen host plus up to max_attempts - 1 alternates.
    public var maxAttempts = 3
    public var maxPlacementResults = 1000
    /// `[scheduler] limit_tenants_to_placement_aggregate`: projects named in an aggregate's
    /// `filter_tenant_id*` metadata go only to that aggregate's hosts.
    public var limitTenantsToPlacementAggregate = false
    /// `[scheduler] placement_aggregate_required_for_tenants`: with the above, a project no aggregate names
    /// gets no host at all.
    public var placementAggregateRequiredForTenants = false
    /// `[scheduler] query_placement_for_image_type_support`: ask for COMPUTE_IMAGE_TYPE_<disk format>.
    public var queryPlacementForImageTypeSupport = false
    /// `[scheduler] driver`: filter_scheduler, caching_scheduler (the default here: host state in memory,
    /// read again on change) or chance_scheduler.
    public var driver = "caching_scheduler"
    /// How long the caching scheduler keeps host state (services, nodes, aggregates) before reading it again.
    public var hostStateCacheSeconds: TimeInterval = 10

    public init() {}
}

/// The filters and weighers this scheduler knows, by Nova's names.
public enum FilterRegistry {
    public static func all(_ options: SchedulerOptions) -> [any HostFilter] {
        [
            AllHostsFilter(), ComputeFilter(), AvailabilityZoneFilter(), ComputeCapabilitiesFilter(),
            ImagePropertiesFilter(), AggregateInstanceExtraSpecsFilter(), AggregateMultiTenancyIsolation(),
            AggregateTypeAffinityFilter(),
            IsolatedHostsFilter(
                isolatedImages: options.isolatedImages, isolatedHosts: options.isolatedHosts,
                restrict: options.restrictIsolatedHostsToIsolatedImages),
            DifferentHostFilter(), SameHostFilter(), SimpleCIDRAffinityFilter(), ServerGroupAffinityFilter(),
            ServerGroupAntiAffinityFilter(), NumInstancesFilter(maxInstancesPerHost: options.maxInstancesPerHost),
            IoOpsFilter(maxIOOpsPerHost: options.maxIOOpsPerHost), JsonFilter(),
        ]
    }

    /// Nova's default list, with the zone filter and the two host hints that devstack enables.
    public static let defaultNames = [
        "ComputeFilter", "AvailabilityZoneFilter", "ComputeCapabilitiesFilter", "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter", "SameHostFilter", "DifferentHostFilter",
    ]

    /// The filters named; an unknown name is a configuration error.
    public static func filters(named names: [String], options: SchedulerOptions = SchedulerOptions())
        throws(NovaError) -> [any HostFilter]
    {
        let known = all(options)
        return try names.map { (name: String) throws(NovaError) -> any HostFilter in
            guard let filter = known.first(where: { $0.name == name }) else {
                throw .badRequest(
                    "Unknown scheduler filter \(name); known: \(known.map(\.name).joined(separator: ", "))")
            }
            return filter
        }
    }

    /// Every weigher (Nova's `weight_classes = all_weighers`) with the configured multipliers.
    public static func weighers(_ options: SchedulerOptions) -> [any HostWeigher] {
        [
            RAMWeigher(multiplier: options.ramWeightMultiplier), CPUWeigher(multiplier: options.cpuWeightMultiplier),
            DiskWeigher(multiplier: options.diskWeightMultiplier),
            NumInstancesWeigher(multiplier: options.numInstancesWeightMultiplier),
            IoOpsWeigher(multiplier: options.ioOpsWeightMultiplier),
            BuildFailureWeigher(multiplier: options.buildFailureWeightMultiplier),
            HypervisorVersionWeigher(multiplier: options.hypervisorVersionWeightMultiplier),
            ServerGroupSoftAffinityWeigher(multiplier: options.softAffinityWeightMultiplier),
            ServerGroupSoftAntiAffinityWeigher(multiplier: options.softAntiAffinityWeightMultiplier),
        ]
    }
}
