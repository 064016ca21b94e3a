import APISupport
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

extension VolumeAPI {
    static let snapshotFilters: Set<String> = ["name", "status", "volume_id", "metadata", "id"]

    func registerSnapshots(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("snapshots") { request, context in try await listSnapshots(request, context, detail: false) }
        v3.get("snapshots/detail") { request, context in try await listSnapshots(request, context, detail: true) }
        v3.post("snapshots") { request, context in
            let caller = try caller(context)
            let body = try await body(request, context, resource: "snapshot")
            guard let volumeID = try CheckedInput.text(body["volume_id"], field: "volume_id", length: 1...255) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute volume_id. 'volume_id' is a required property")
            }
            let volume = try await visibleVolume(volumeID, caller)
            let force = try flag(body["force"], field: "force") ?? false
            let inUseAllowed = force || context.volumeVersion >= APIVersion(3, 66)
            var snapshot = VolumeSnapshot(
                id: newID(), volume: volume, userID: caller.userID,
                name: try text(body, "name") ?? text(body, "display_name") ?? "",
                description: try text(body, "description") ?? text(body, "display_description") ?? "",
                at: clock.now)
            snapshot.metadata = try metadata(body["metadata"]) ?? [:]
            snapshot = try await store.createSnapshot(snapshot) { volume, _ in
                let allowed = [VolumeStatus.available] + (inUseAllowed ? [VolumeStatus.inUse] : [])
                guard allowed.contains(volume.status) else {
                    throw NovaError.invalidVolume(
                        volume.status == VolumeStatus.inUse
                            ? "Volume \(volume.id) status must be available, but current status is: in-use."
                            : "Volume \(volume.id) status must be available or in-use, but current status is: "
                                + volume.status + ".")
                }
            }
            worker.wake()
            let views = VolumeViews(
                caller: caller, version: context.volumeVersion, baseURL: request.baseURL(fallback: ""))
            return Response.json(["snapshot": .object(views.snapshot(snapshot))], status: 202)
        }
        v3.get("snapshots/{id}") { request, context in
            let caller = try caller(context)
            let snapshot = try await visibleSnapshot(context.parameter("id"), caller)
            let views = VolumeViews(
                caller: caller, version: context.volumeVersion, baseURL: request.baseURL(fallback: ""))
            return Response.json(["snapshot": .object(views.snapshot(snapshot))])
        }
        v3.put("snapshots/{id}") { request, context in
            let caller = try caller(context)
            let id = try await visibleSnapshot(context.parameter("id"), caller).id
            let body = try await body(request, context, resource: "snapshot")
            let name = try text(body, "name") ?? text(body, "display_name")
            let description = try text(body, "description") ?? text(body, "display_description")
            let now = clock.now
            let updated = try await store.updateSnapshot(id: id) { snapshot in
                if let name { snapshot.name = name }
                if let description { snapshot.description = description }
                snapshot.updatedAt = now
            }
            let views = VolumeViews(
                caller: caller, version: context.volumeVersion, baseURL: request.baseURL(fallback: ""))
            return Response.json(["snapshot": .object(views.snapshot(updated))])
        }
        v3.delete("snapshots/{id}") { _, context in
            let snapshot = try await visibleSnapshot(context.parameter("id"), try caller(context))
            try await beginSnapshotDelete(snapshot.id, force: false)
            return Response.empty(status: 202)
        }
        v3.post("snapshots/{id}/action") { request, context in
            let caller = try caller(context)
            let snapshot = try await visibleSnapshot(context.parameter("id"), caller)
            let json = try await request.jsonBody(context: context)
            guard caller.isAdmin else {
                throw NovaError.forbidden(
                    "Policy doesn't allow volume_extension:snapshot_admin_actions to be performed.")
            }
            if json["os-force_delete"] != nil {
                try await beginSnapshotDelete(snapshot.id, force: true)
                return Response.empty(status: 202)
            }
            guard let reset = json["os-reset_status"] else { throw NovaError.badRequest("There is no such action") }
            guard let status = try CheckedInput.text(reset["status"], field: "status", length: 1...255)?.lowercased(),
                SnapshotStatus.all.contains(status)
            else { throw NovaError.invalidVolumeInput("Must specify a valid status") }
            try await store.updateSnapshot(id: snapshot.id) { $0.status = status }
            return Response.empty(status: 202)
        }
    }

    func listSnapshots(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> Response {
        let caller = try caller(context)
        let query = VolumeListQuery(request.query, version: context.volumeVersion)
        var project: String? = caller.projectID
        if query.allProjects(caller) { project = request.query["project_id"] }
        let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: request.baseURL(fallback: ""))
        let items = try await store.snapshots(project: project).map(views.snapshot)
        return Response.json(
            try query.respond(
                items, collection: "snapshots", filters: Self.snapshotFilters,
                path: "/\(Self.prefix)/v3/\(caller.projectID)/snapshots" + (detail ? "/detail" : ""),
                baseURL: request.baseURL(fallback: "")))
    }

    func beginSnapshotDelete(_ id: String, force: Bool) async throws {
        let now = clock.now
        try await store.updateSnapshot(id: id) { snapshot in
            let allowed = [SnapshotStatus.available, SnapshotStatus.error]
            guard force ? snapshot.status != SnapshotStatus.deleting : allowed.contains(snapshot.status) else {
                throw NovaError.invalidSnapshot("Volume Snapshot status must be available or error")
            }
            snapshot.status = SnapshotStatus.deleting
            snapshot.updatedAt = now
        }
        worker.wake()
    }
}
