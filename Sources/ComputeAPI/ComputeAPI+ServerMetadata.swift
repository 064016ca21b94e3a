import APISupport
import Foundation
import Hummingbird
import NovaCore

/// Server metadata and tags.
extension ComputeAPI {
    func registerServerMetadata(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("servers/{id}/metadata") { _, context in
            let instance = try await visibleInstance(context.parameter("id"), context)
            return Response.json(["metadata": ServerViewBuilder.stringMap(instance.metadata)])
        }
        v21.post("servers/{id}/metadata") { request, context in
            let metadata = try Self.metadata(try await request.jsonBody(context: context)["metadata"])
            let updated = try await changeMetadata(context) { $0.merge(metadata) { _, new in new } }
            return Response.json(["metadata": ServerViewBuilder.stringMap(updated.metadata)])
        }
        v21.put("servers/{id}/metadata") { request, context in
            let metadata = try Self.metadata(try await request.jsonBody(context: context)["metadata"])
            let updated = try await changeMetadata(context) { $0 = metadata }
            return Response.json(["metadata": ServerViewBuilder.stringMap(updated.metadata)])
        }
        v21.get("servers/{id}/metadata/{key}") { _, context in
            let instance = try await visibleInstance(context.parameter("id"), context)
            let key = context.parameter("key")
            guard let value = instance.metadata[key] else { throw NovaError.notFound("Metadata item was not found") }
            return Response.json(["meta": [key: .string(value)]])
        }
        v21.put("servers/{id}/metadata/{key}") { request, context in
            let key = context.parameter("key")
            let meta = try Self.metadata(try await request.jsonBody(context: context)["meta"])
            guard meta.count == 1, let value = meta[key] else {
                throw NovaError.badRequest("Request body and URI mismatch")
            }
            _ = try await changeMetadata(context) { $0[key] = value }
            return Response.json(["meta": [key: .string(value)]])
        }
        v21.delete("servers/{id}/metadata/{key}") { _, context in
            let key = context.parameter("key")
            _ = try await changeMetadata(context) { metadata in
                guard metadata.removeValue(forKey: key) != nil else {
                    throw NovaError.notFound("Metadata item was not found")
                }
            }
            return Response.empty(status: 204)
        }
        v21.get("servers/{id}/tags") { _, context in
            try requireVersion(context, 2, 26)
            let instance = try await visibleInstance(context.parameter("id"), context)
            return Response.json(["tags": .array(instance.tags.map(JSON.string))])
        }
        v21.put("servers/{id}/tags") { request, context in
            try requireVersion(context, 2, 26)
            guard
                let list = try await request.jsonBody(context: context)["tags"]?.arrayValue?.compactMap(\.stringValue),
                list.count <= 50
            else { throw NovaError.badRequest("Invalid input for field/attribute tags.") }
            let updated = try await changeInstance(context) { $0.tags = list }
            return Response.json(["tags": .array(updated.tags.map(JSON.string))])
        }
        v21.delete("servers/{id}/tags") { _, context in
            try requireVersion(context, 2, 26)
            _ = try await changeInstance(context) { $0.tags = [] }
            return Response.empty(status: 204)
        }
        v21.get("servers/{id}/tags/{tag}") { _, context in
            try requireVersion(context, 2, 26)
            let instance = try await visibleInstance(context.parameter("id"), context)
            guard instance.tags.contains(context.parameter("tag")) else {
                throw NovaError.notFound("Tag \(context.parameter("tag")) could not be found.")
            }
            return Response.empty(status: 204)
        }
        v21.put("servers/{id}/tags/{tag}") { request, context in
            try requireVersion(context, 2, 26)
            let tag = context.parameter("tag")
            guard (1...60).contains(tag.count), !tag.contains(","), !tag.contains("/") else {
                throw NovaError.badRequest("Invalid tag \(tag)")
            }
            let before = try await visibleInstance(context.parameter("id"), context)
            _ = try await changeInstance(context) { instance in
                if !instance.tags.contains(tag) {
                    guard instance.tags.count < 50 else {
                        throw NovaError.badRequest("The number of tags exceeded the limit of 50")
                    }
                    instance.tags.append(tag)
                }
            }
            // Nova names the tag's URL whether it was added or already there.
            let path = tag.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? tag
            return Response.empty(
                status: before.tags.contains(tag) ? 204 : 201,
                headers: [.location: "\(base(request))/v2.1/servers/\(before.uuid)/tags/\(path)"])
        }
        v21.delete("servers/{id}/tags/{tag}") { _, context in
            try requireVersion(context, 2, 26)
            let tag = context.parameter("tag")
            _ = try await changeInstance(context) { instance in
                guard instance.tags.contains(tag) else { throw NovaError.notFound("Tag \(tag) could not be found.") }
                instance.tags.removeAll { $0 == tag }
            }
            return Response.empty(status: 204)
        }
    }

    func requireVersion(_ context: NovaRequestContext, _ major: Int, _ minor: Int) throws {
        guard context.apiVersion >= APIVersion(major, minor) else {
            throw NovaError.notFound("The resource could not be found.")
        }
    }

    func changeInstance(_ context: NovaRequestContext, _ body: @Sendable @escaping (inout Instance) throws -> Void)
        async throws -> Instance
    {
        let caller = try context.caller()
        let instance = try await visibleInstance(context.parameter("id"), context)
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:servers:update", caller, targetProject: instance.projectID)
        let isAdmin = caller.isAdmin
        return try await store.mutateInstance(uuid: instance.uuid) { current in
            if current.locked, !isAdmin { throw NovaError.conflict("Instance \(current.uuid) is locked") }
            try body(&current)
        }
    }

    func changeMetadata(
        _ context: NovaRequestContext, _ body: @Sendable @escaping (inout [String: String]) throws -> Void
    )
        async throws -> Instance
    {
        let limit = try await store.quotaLimits(projectID: try context.caller().projectID).limit(.metadataItems)
        return try await changeInstance(context) { instance in
            try body(&instance.metadata)
            if limit >= 0, instance.metadata.count > limit {
                throw NovaError.forbidden("Quota exceeded for metadata_items: the limit is \(limit)")
            }
        }
    }
}
