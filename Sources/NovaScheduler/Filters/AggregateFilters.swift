import NovaCore

/// Flavor extra specs (unscoped or `aggregate_instance_extra_specs:`) must match the host's aggregate metadata.
public struct AggregateInstanceExtraSpecsFilter: HostFilter {
    public let name = "AggregateInstanceExtraSpecsFilter"
    static let scope = "aggregate_instance_extra_specs:"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool { !spec.flavor.extraSpecs.isEmpty }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        for (key, wanted) in spec.flavor.extraSpecs {
            let plain: String
            if key.hasPrefix(Self.scope) {
                plain = String(key.dropFirst(Self.scope.count))
            } else if key.contains(":") {
                continue
            } else {
                plain = key
            }
            let values = host.aggregateValues(plain)
            guard !values.isEmpty, values.contains(where: { ExtraSpecMatch.matches($0, wanted) }) else { return false }
        }
        return true
    }
}

/// Hosts in an aggregate with `filter_tenant_id*` metadata take only those projects.
public struct AggregateMultiTenancyIsolation: HostFilter {
    public let name = "AggregateMultiTenancyIsolation"
    public init() {}
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        var tenants: Set<String> = []
        for metadata in host.aggregates {
            for (key, value) in metadata where key.hasPrefix("filter_tenant_id") {
                tenants.formUnion(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            }
        }
        return tenants.isEmpty || tenants.contains(spec.projectID)
    }
}

/// Hosts in an aggregate with `instance_type` metadata take only those flavors (by name).
public struct AggregateTypeAffinityFilter: HostFilter {
    public let name = "AggregateTypeAffinityFilter"
    public init() {}
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        let names = host.aggregateValues("instance_type")
        return names.isEmpty || names.contains(spec.flavor.name)
    }
}
