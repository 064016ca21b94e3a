import APISupport
import Foundation
import Hummingbird
import NovaCore

/// Nova routes about what a host holds for a server: `POST /os-aggregates/{id}/images` (2.81) has every
/// compute host of an aggregate fetch images into its cache ahead of boots; `GET /servers/{id}/topology`
/// (2.78) shows a server's NUMA layout, and this cloud places no server on NUMA nodes, so it is empty as
/// Nova's answer for one without a NUMA topology; `os-baremetal-nodes` answers as Nova does with no
/// bare-metal service.
extension ComputeAPI {
    func registerHostImages(on v21: RouterGroup<NovaRequestContext>) {
        v21.post("os-aggregates/{id}/images") { request, context -> Response in
            try requireVersion(context, 2, 81)
            try PolicyRule.admin.enforce("compute:aggregates:images", try context.caller())
            let body = try await request.jsonBody(context: context)
            guard let root = body.objectValue, root.keys == ["cache"], let entries = root["cache"]?.arrayValue,
                !entries.isEmpty
            else {
                throw NovaError.badRequest("Invalid input for field/attribute cache. 'cache' is a required property")
            }
            var ids: [String] = []
            for entry in entries {
                guard let object = entry.objectValue, object.keys == ["id"], let id = object["id"]?.stringValue,
                    UUID(uuidString: id) != nil
                else {
                    throw NovaError.badRequest(
                        "Invalid input for field/attribute cache. Each item is {\"id\": <image uuid>}")
                }
                ids.append(id.lowercased())
            }
            guard Set(ids).count == ids.count else { throw NovaError.badRequest("Duplicate images in request") }
            let aggregate = try await aggregate(context)
            for id in ids where try await images.image(id: id) == nil {
                throw NovaError.badRequest("Image \(id) could not be found.")
            }
            for host in aggregate.hosts.sorted() {
                do {
                    try await compute.cacheImages(ids, host: host, context: context.rpcContext)
                } catch {
                    throw NovaError.badRequest("Compute host \(host) could not be asked to cache the images: \(error)")
                }
            }
            return Response.empty(status: 202)
        }
        v21.get("servers/{id}/topology") { _, context in
            try requireVersion(context, 2, 78)
            let instance = try await visibleInstance(context.parameter("id"), context)
            try PolicyRule.projectReaderOrAdmin.enforce(
                "compute:server:topology:index", try context.caller(), targetProject: instance.projectID)
            return Response.json(["nodes": [], "pagesize_kb": .null])
        }
        for path in ["os-baremetal-nodes", "os-baremetal-nodes/{node}"] {
            v21.get(RouterPath(stringLiteral: path)) { _, context -> Response in
                try PolicyRule.admin.enforce("os_compute_api:os-baremetal-nodes:list", try context.caller())
                throw NovaError(.notImplemented, "Ironic client unavailable, cannot access Ironic.")
            }
        }
    }
}
