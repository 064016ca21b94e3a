import APISupport
import Hummingbird
import NovaCore
import VolumeCore

extension VolumeAPI {
    /// `/volumes/{id}/metadata` and `/metadata/{key}`: show, replace (PUT), merge (POST), one key.
    func registerVolumeMetadata(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("volumes/{id}/metadata") { _, context in
            let volume = try await visibleVolume(context.parameter("id"), try caller(context))
            return Response.json(["metadata": VolumeViews.strings(volume.metadata)])
        }
        for replace in [true, false] {
            let handler: @Sendable (Request, NovaRequestContext) async throws -> Response = { request, context in
                let volume = try await visibleVolume(context.parameter("id"), try caller(context))
                let json = try await request.jsonBody(context: context)
                guard let given = try metadata(json["metadata"]) else {
                    throw NovaError.badRequest("Malformed request body: 'metadata' is required.")
                }
                let updated = try await changeMetadata(volume.id) { metadata in
                    if replace { metadata = given } else { metadata.merge(given) { _, new in new } }
                }
                return Response.json(["metadata": VolumeViews.strings(updated)])
            }
            if replace {
                v3.put("volumes/{id}/metadata", use: handler)
            } else {
                v3.post("volumes/{id}/metadata", use: handler)
            }
        }
        v3.get("volumes/{id}/metadata/{key}") { _, context in
            let volume = try await visibleVolume(context.parameter("id"), try caller(context))
            let key = context.parameter("key")
            guard let value = volume.metadata[key] else {
                throw NovaError.notFound("Volume \(volume.id) has no metadata with key \(key).")
            }
            return Response.json(["meta": [key: .string(value)]])
        }
        v3.put("volumes/{id}/metadata/{key}") { request, context in
            let volume = try await visibleVolume(context.parameter("id"), try caller(context))
            let key = context.parameter("key")
            let json = try await request.jsonBody(context: context)
            guard let meta = try metadata(json["meta"], field: "meta"), meta.count == 1, let value = meta[key] else {
                throw NovaError.badRequest("Request body and URI mismatch")
            }
            _ = try await changeMetadata(volume.id) { $0[key] = value }
            return Response.json(["meta": [key: .string(value)]])
        }
        v3.delete("volumes/{id}/metadata/{key}") { _, context in
            let volume = try await visibleVolume(context.parameter("id"), try caller(context))
            let key = context.parameter("key")
            guard volume.metadata[key] != nil else {
                throw NovaError.notFound("Volume \(volume.id) has no metadata with key \(key).")
            }
            _ = try await changeMetadata(volume.id) { $0[key] = nil }
            return Response.empty(status: 200)
        }
    }

    func changeMetadata(_ id: String, _ change: @escaping @Sendable (inout [String: String]) -> Void) async throws
        -> [String: String]
    {
        let now = clock.now
        let (_, updated) = try await store.updateVolume(id: id) { volume, _ in
            guard volume.status != VolumeStatus.maintenance else {
                throw NovaError.invalidVolume("Volume status must be available or in-use, not maintenance.")
            }
            change(&volume.metadata)
            volume.updatedAt = now
        }
        return updated.metadata
    }
}
