import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    func registerAggregates(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-aggregates") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-aggregates:index", try context.caller())
            return Response.json(["aggregates": .array(try await store.aggregates().map { aggregateJSON($0, context) })]
            )
        }
        v21.post("os-aggregates") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-aggregates:create", try context.caller())
            let body = try await request.jsonBody(context: context)
            guard let name = body["aggregate"]?["name"]?.stringValue, (1...255).contains(name.count) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute name: an aggregate needs a name of 1 to 255 characters")
            }
            let zone = body["aggregate"]?["availability_zone"]?.stringValue
            if zone == config.internalAvailabilityZone {
                throw NovaError.badRequest("Aggregates cannot use the internal availability zone \(zone!)")
            }
            let aggregate = try await store.createAggregate(name: name, zone: zone)
            // Nova's create answers without `hosts` and `metadata` (the API's answer from before they existed).
            var view = aggregateJSON(aggregate, context).objectValue ?? JSONObject()
            view["hosts"] = nil
            view["metadata"] = nil
            return Response.json(["aggregate": .object(view)])
        }
        v21.get("os-aggregates/{id}") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-aggregates:show", try context.caller())
            return Response.json(["aggregate": aggregateJSON(try await aggregate(context), context)])
        }
        v21.put("os-aggregates/{id}") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-aggregates:update", try context.caller())
            let body = try await request.jsonBody(context: context)
            guard let spec = body["aggregate"]?.objectValue, !spec.entries.isEmpty else {
                throw NovaError.badRequest("Invalid input: 'aggregate' with a name or availability_zone is required")
            }
            let name = spec["name"]?.stringValue
            let zone = spec["availability_zone"]
            let current = try await aggregate(context)
            let updated = try await store.updateAggregate(id: current.id) { aggregate, _ in
                if let name { aggregate.name = name }
                if let zone { aggregate.metadata["availability_zone"] = zone.stringValue }
            }
            return Response.json(["aggregate": aggregateJSON(updated, context)])
        }
        v21.delete("os-aggregates/{id}") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-aggregates:delete", try context.caller())
            try await store.deleteAggregate(id: try await aggregate(context).id)
            return Response.empty(status: 200)
        }
        v21.post("os-aggregates/{id}/action") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-aggregates:add_host", try context.caller())
            let current = try await aggregate(context)
            let body = try await request.jsonBody(context: context)
            let updated: Aggregate
            if let host = body["add_host"]?["host"]?.stringValue {
                guard !(try await store.services(host: host, binary: "nova-compute")).isEmpty else {
                    throw NovaError.notFound("Compute host \(host) could not be found.")
                }
                updated = try await store.updateAggregate(id: current.id) { aggregate, all in
                    guard !aggregate.hosts.contains(host) else {
                        throw NovaError.conflict("Aggregate \(aggregate.id) already has host \(host).")
                    }
                    if let zone = aggregate.availabilityZone,
                        let other = all.first(where: {
                            $0.id != aggregate.id && $0.hosts.contains(host) && $0.availabilityZone != nil
                                && $0.availabilityZone != zone
                        })
                    {
                        throw NovaError.conflict(
                            "Cannot add host to aggregate \(aggregate.id). Reason: One or more hosts already in availability zone(s) [\(other.availabilityZone!)]."
                        )
                    }
                    aggregate.hosts.append(host)
                }
                try await mirrorAggregate(updated.uuid, host: host, member: true)
            } else if let host = body["remove_host"]?["host"]?.stringValue {
                updated = try await store.updateAggregate(id: current.id) { aggregate, _ in
                    guard aggregate.hosts.contains(host) else {
                        throw NovaError.notFound("Cannot remove host \(host) in aggregate \(aggregate.id)")
                    }
                    aggregate.hosts.removeAll { $0 == host }
                }
                try await mirrorAggregate(updated.uuid, host: host, member: false)
            } else if let metadata = body["set_metadata"]?["metadata"]?.objectValue {
                updated = try await store.updateAggregate(id: current.id) { aggregate, _ in
                    for (key, value) in metadata.entries {
                        guard value.isNull || value.stringValue != nil else {
                            throw NovaError.badRequest(
                                "Invalid input for metadata \(key): values must be strings or null")
                        }
                        aggregate.metadata[key] = value.stringValue
                    }
                }
            } else {
                throw NovaError.badRequest("Invalid input: one of add_host, remove_host or set_metadata is required")
            }
            return Response.json(["aggregate": aggregateJSON(updated, context)])
        }
    }

    /// Nova mirrors host aggregates into Placement, so the AZ and tenant pre-filters can ask for them.
    func mirrorAggregate(_ uuid: String, host: String, member: Bool) async throws {
        for node in try await store.computeNodes() where node.report.host == host {
            try await placement.setAggregate(uuid, member: member, providerNamed: node.report.hypervisorHostname)
        }
    }

    func aggregate(_ context: NovaRequestContext) async throws -> Aggregate {
        let id = context.parameter("id")
        guard let found = try await store.aggregates().first(where: { String($0.id) == id || $0.uuid == id }) else {
            throw NovaError.notFound("Aggregate \(id) could not be found.")
        }
        return found
    }

    func aggregateJSON(_ aggregate: Aggregate, _ context: NovaRequestContext) -> JSON {
        var json: JSONObject = [
            "availability_zone": .optional(aggregate.availabilityZone),
            "created_at": .string(Timestamp.naive(aggregate.createdAt)), "deleted": false, "deleted_at": .null,
            "hosts": .array(aggregate.hosts.map(JSON.string)), "id": .int(aggregate.id),
            "metadata": ServerViewBuilder.stringMap(aggregate.metadata), "name": .string(aggregate.name),
            "updated_at": .optional(aggregate.updatedAt.map(Timestamp.naive)),
        ]
        if context.apiVersion >= APIVersion(2, 41) { json["uuid"] = .string(aggregate.uuid) }
        return .object(json)
    }
}
