import Foundation
import NovaCore
import PlacementCore

/// Request pre-filters (nova/scheduler/request_filter.py): they turn parts of the request into Placement
/// constraints before candidates are asked for.
extension FilterScheduler {
    public func candidateQuery(_ spec: RequestSpec) async throws -> CandidateQuery {
        let flavor = spec.resources
        var resources: [String: Int] = [:]
        if flavor.vcpus > 0 { resources["VCPU"] = flavor.vcpus }
        if flavor.memoryMB > 0 { resources["MEMORY_MB"] = flavor.memoryMB }
        if flavor.diskGB > 0 { resources["DISK_GB"] = flavor.diskGB }
        var group = RequestGroup(resources: resources)
        // A forced move asks Placement only whether the host fits.
        if spec.bypass == .scheduler, spec.forcedHost != nil { return CandidateQuery(groups: [group]) }
        // compute_status_filter: disabled computes carry COMPUTE_STATUS_DISABLED.
        group.traits.forbidden.insert(StandardTraits.computeStatusDisabled)
        let aggregates = try await store.aggregates()
        // map_az_to_placement_aggregate: a zone that aggregates define becomes member_of=in:<their uuids>.
        if let zone = spec.availabilityZone, !zone.isEmpty {
            let uuids = aggregates.filter { $0.availabilityZone == zone }.map(\.uuid)
            if !uuids.isEmpty { group.memberOf.anyOf.append(Set(uuids)) }
        }
        // require_tenant_aggregate: the aggregates whose filter_tenant_id* metadata names the project.
        if options.limitTenantsToPlacementAggregate {
            let uuids = aggregates.filter { aggregate in
                aggregate.metadata.contains { key, value in
                    key.hasPrefix("filter_tenant_id")
                        && value.split(separator: ",").contains {
                            $0.trimmingCharacters(in: .whitespaces) == spec.projectID
                        }
                }
            }.map(\.uuid)
            if !uuids.isEmpty {
                group.memberOf.anyOf.append(Set(uuids))
            } else if options.placementAggregateRequiredForTenants {
                throw NoValidHost(
                    hostCount: 0, removals: [],
                    reason:
                        "No hosts available for project \(spec.projectID): no aggregate names it in filter_tenant_id."
                ).error
            }
        }
        // require_image_type_support: the image's disk format as a COMPUTE_IMAGE_TYPE_* trait.
        if options.queryPlacementForImageTypeSupport, let format = spec.imageProperties["disk_format"] {
            group.traits.required.insert("COMPUTE_IMAGE_TYPE_" + format.uppercased())
        }
        return CandidateQuery(groups: [group], limit: options.maxPlacementResults)
    }

    /// Reads what the hints name: the server group and where its members run, the hosts of the instances
    /// `different_host` / `same_host` name, the network of `build_near_host_ip` + `cidr`, the `query`.
    public func resolveHints(_ spec: RequestSpec) async throws -> SchedulingHints {
        var hints = SchedulingHints()
        let raw = spec.schedulerHints
        if let uuid = raw["group"]?.first {
            guard let group = try await store.serverGroup(uuid: uuid) else {
                throw NovaError.badRequest("Server group \(uuid) could not be found.")
            }
            hints.groupUUID = group.uuid
            hints.groupPolicy = group.policy
            hints.maxServerPerHost = group.maxServerPerHost
            let others = group.members.filter { !spec.instanceUUIDs.contains($0) }
            for host in try await store.instanceHosts(others).values { hints.groupHosts[host, default: 0] += 1 }
        }
        if let uuids = raw["different_host"], !uuids.isEmpty {
            hints.differentHosts = Set(try await store.instanceHosts(uuids).values)
        }
        if let uuids = raw["same_host"], !uuids.isEmpty {
            hints.sameHosts = Set(try await store.instanceHosts(uuids).values)
        }
        if let near = raw["build_near_host_ip"]?.first, let cidr = raw["cidr"]?.first {
            hints.nearNetwork = near + (cidr.hasPrefix("/") ? cidr : "/" + cidr)
        }
        hints.query = raw["query"]?.first
        return hints
    }
}
