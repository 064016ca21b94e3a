import NovaCore
import PlacementCore

/// Request pre-filters (nova/scheduler/request_filter.py): they turn parts of the request into Placement
/// constraints before candidates are asked for.
extension FilterScheduler {
    public func candidateQuery(_ spec: RequestSpec) async throws -> CandidateQuery {
        let flavor = spec.flavor.resources
        var resources: [String: Int] = [:]
        if flavor.vcpus > 0 { resources["VCPU"] = flavor.vcpus }
        if flavor.memoryMB > 0 { resources["MEMORY_MB"] = flavor.memoryMB }
        if flavor.diskGB > 0 { resources["DISK_GB"] = flavor.diskGB }
        var group = RequestGroup(resources: resources)
        // compute_status_filter: disabled computes carry COMPUTE_STATUS_DISABLED.
        group.traits.forbidden.insert(StandardTraits.computeStatusDisabled)
        // map_az_to_placement_aggregate: a zone that aggregates define becomes member_of=in:<their uuids>.
        if let zone = spec.availabilityZone, !zone.isEmpty {
            let uuids = try await store.aggregates().filter { $0.availabilityZone == zone }.map(\.uuid)
            if !uuids.isEmpty { group.memberOf.anyOf.append(Set(uuids)) }
        }
        return CandidateQuery(groups: [group], limit: maxPlacementResults)
    }
}
