import APISupport
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

extension VolumeAPI {
    static let volumeFilters: Set<String> = [
        "name", "status", "metadata", "bootable", "availability_zone", "volume_type", "size", "user_id",
        "snapshot_id", "source_volid", "id", "multiattach",
    ]

    func registerVolumes(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("volumes") { request, context in try await listVolumes(request, context, detail: false) }
        v3.get("volumes/detail") { request, context in try await listVolumes(request, context, detail: true) }
        v3.get("volumes/summary") { request, context in
            let caller = try caller(context)
            let all = VolumeListQuery(request.query, version: context.volumeVersion).allProjects(caller)
            let volumes = try await store.volumes(project: all ? nil : caller.projectID)
            var summary: JSONObject = [
                "total_size": .int(volumes.reduce(0) { $0.saturatingAdd($1.size) }), "total_count": .int(volumes.count),
            ]
            if context.volumeVersion >= APIVersion(3, 36) {
                var metadata: [String: [String]] = [:]
                for volume in volumes {
                    for (key, value) in volume.metadata where !(metadata[key]?.contains(value) ?? false) {
                        metadata[key, default: []].append(value)
                    }
                }
                summary["metadata"] = .object(JSONObject(metadata.map { ($0.key, .array($0.value.map(JSON.string))) }))
            }
            return Response.json(["volume-summary": .object(summary)])
        }
        v3.post("volumes") { request, context in
            let caller = try caller(context)
            let body = try await body(request, context, resource: "volume")
            let volume = try await createVolume(body, caller: caller)
            let views = VolumeViews(
                caller: caller, version: context.volumeVersion, baseURL: request.baseURL(fallback: ""))
            return Response.json(
                [
                    "volume": .object(
                        views.volume(volume, attachments: [], type: try await typeOf(volume), extensions: false))
                ],
                status: 202)
        }
        v3.get("volumes/{id}") { request, context in
            let caller = try caller(context)
            let volume = try await visibleVolume(context.parameter("id"), caller)
            return Response.json(["volume": .object(try await detail(volume, request, context, caller))])
        }
        v3.put("volumes/{id}") { request, context in
            let caller = try caller(context)
            let id = try await visibleVolume(context.parameter("id"), caller).id
            let body = try await body(request, context, resource: "volume")
            let name = try text(body, "name") ?? text(body, "display_name")
            let description = try text(body, "description") ?? text(body, "display_description")
            let metadata = try metadata(body["metadata"])
            let now = clock.now
            let (_, updated) = try await store.updateVolume(id: id) { volume, _ in
                if let name { volume.name = name }
                if let description { volume.description = description }
                if let metadata { volume.metadata = metadata }
                volume.updatedAt = now
            }
            return Response.json(
                ["volume": .object(try await detail(updated, request, context, caller, extensions: false))])
        }
        v3.delete("volumes/{id}") { request, context in
            let caller = try caller(context)
            let volume = try await visibleVolume(context.parameter("id"), caller)
            let cascade = request.query.flag("cascade") ?? false
            // 3.23: `force` deletes whatever the status (an admin's os-force_delete).
            let force = context.volumeVersion >= APIVersion(3, 23) && request.query.flag("force") == true
            if force, !caller.isAdmin {
                throw NovaError.forbidden("Policy doesn't allow volume:force_delete to be performed.")
            }
            try await beginDelete(volume.id, cascade: cascade, force: force)
            return Response.empty(status: 202)
        }
        registerVolumeMetadata(on: v3)
    }

    func listVolumes(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> Response {
        let caller = try caller(context)
        let query = VolumeListQuery(request.query, version: context.volumeVersion)
        var project: String? = caller.projectID
        if query.allProjects(caller) { project = request.query["project_id"] }
        let volumes = try await store.volumes(project: project)
        let attachments = try await store.attachments(volumeIDs: volumes.map(\.id))
        let types = Dictionary(try await store.types().map { ($0.type.id, $0.type) }, uniquingKeysWith: { a, _ in a })
        let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: request.baseURL(fallback: ""))
        var items: [JSONObject] = []
        for volume in volumes {
            let attached = attachments.filter { $0.volumeID == volume.id }
            items.append(views.volume(volume, attachments: attached, type: types[volume.volumeTypeID]))
        }
        let path = "/\(Self.prefix)/v3/\(caller.projectID)/volumes" + (detail ? "/detail" : "")
        let summary: ((JSONObject) -> JSONObject)? = detail ? nil : { VolumeViews.summary($0) }
        let body = try query.respond(
            items, collection: "volumes", filters: Self.volumeFilters, path: path,
            baseURL: request.baseURL(fallback: ""), summary: summary)
        return Response.json(body)
    }

    func detail(
        _ volume: Volume, _ request: Request, _ context: NovaRequestContext, _ caller: Credentials,
        extensions: Bool = true
    ) async throws -> JSONObject {
        let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: request.baseURL(fallback: ""))
        return views.volume(
            volume, attachments: try await store.attachments(volumeIDs: [volume.id]), type: try await typeOf(volume),
            extensions: extensions)
    }

    func typeOf(_ volume: Volume) async throws -> VolumeType? {
        try await store.type(idOrName: volume.volumeTypeID)?.type
    }

    /// A volume the caller may see: its project's, or any for an admin; 404 otherwise.
    func visibleVolume(_ id: String, _ caller: Credentials) async throws -> Volume {
        guard let volume = try await store.volume(id: id), caller.isAdmin || volume.projectID == caller.projectID
        else { throw NovaError.volumeNotFound(id) }
        return volume
    }

    /// Marks a volume `deleting` if it may go now, and wakes the worker to remove its data.
    func beginDelete(_ id: String, cascade: Bool, force: Bool) async throws {
        let now = clock.now
        try await store.updateVolume(id: id) { volume, related in
            let attached = related.attachments.contains { $0.attachStatus != AttachmentStatus.detached }
            let statusAllows =
                force ? volume.status != VolumeStatus.deleting : VolumeStatus.deletable.contains(volume.status)
            guard statusAllows, !attached, cascade || related.snapshotCount == 0 else {
                throw NovaError.invalidVolume(
                    "Volume status must be available or error or error_restoring or error_extending or "
                        + "error_managing and must not be migrating, attached, belong to a group, have snapshots, "
                        + "awaiting a transfer, or be disassociated from snapshots after volume transfer.")
            }
            volume.status = VolumeStatus.deleting
            volume.updatedAt = now
        }
        if cascade {
            for snapshot in try await store.snapshots(volumeIDs: [id]) {
                try await store.updateSnapshot(id: snapshot.id) { $0.status = SnapshotStatus.deleting }
            }
        }
        worker.wake()
    }
}
