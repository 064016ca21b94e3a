import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Glance's interoperable image import with the `glance-direct` method (`openstack image create --import`):
/// the data is staged, then imported, which an `api_image_import` task records; and the task listings.
extension ImageAPI {
    static let importMethods = ["glance-direct"]
    /// Glance keeps a finished task this long.
    static let taskLifetime: TimeInterval = 48 * 3600

    func registerImport(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("info/import") { _, _ in
            Response.json([
                "import-methods": [
                    "description": "Import methods available.", "type": "array",
                    "value": .array(Self.importMethods.map(JSON.string)),
                ]
            ])
        }
        v2.put("images/{id}/stage") { request, context in
            let image = try await ownedImage(context.parameter("id"), context)
            guard let staging else { throw NovaError.conflict("The staging area cannot be written.") }
            let room = try await quotas.roomForData(
                owner: image.owner ?? "", staging: true, store: store,
                stagedBytes: try await stagedBytes(owner: image.owner ?? "", staging: staging))
            try await store.update(id: image.id) { image in
                guard image.status == "queued" else {
                    throw NovaError.conflict("Image status transition from \(image.status) to uploading is not allowed")
                }
                image.status = "uploading"
            }
            do {
                let chunks = BoundedChunks(
                    base: request.body.map { Array($0.readableBytesView) }, room: room, resource: "image_stage_total")
                _ = try await staging.write(id: image.id, chunks: chunks)
            } catch {
                _ = try? await store.update(id: image.id) { $0.status = "queued" }
                throw error
            }
            return Response.empty(status: 204)
        }
        v2.post("images/{id}/import") { request, context in try await importImage(request, context) }
        v2.get("images/{id}/tasks") { _, context in
            let image = try await visibleImage(context.parameter("id"), context)
            return Response.json(["tasks": .array(try await store.tasks(imageID: image.id).map(taskJSON))])
        }
        v2.get("tasks") { _, context in
            let caller = try context.caller()
            let tasks = try await store.tasks(owner: caller.isAdmin ? nil : caller.projectID)
            return Response.json([
                "tasks": .array(tasks.map(taskJSON)), "first": "/v2/tasks", "schema": "/v2/schemas/tasks",
            ])
        }
        v2.get("tasks/{id}") { _, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            guard let task = try await store.task(id: id),
                caller.isAdmin || task.owner == caller.projectID
            else { throw NovaError.notFound("Task with the given ID \(id) not found") }
            return Response.json(taskJSON(task))
        }
    }

    /// `POST /v2/images/{id}/import`: moves the staged data into the store, checksummed, and activates the
    /// image; 202, as Glance answers (the work is done by the time it answers).
    func importImage(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let image = try await ownedImage(context.parameter("id"), context)
        let caller = try context.caller()
        let body = try await request.jsonBody(context: context)
        try CheckedInput.onlyFields(["method", "stores", "all_stores", "all_stores_must_succeed"], of: body)
        guard let method = body["method"]?["name"]?.stringValue else {
            throw NovaError.badRequest("Body expected in request: 'method' with a 'name' is required.")
        }
        guard Self.importMethods.contains(method) else {
            throw NovaError.badRequest("Import method \(method.prefix(64)) is not valid for this cloud.")
        }
        guard let staging else { throw NovaError.conflict("The staging area cannot be read.") }
        try await store.update(id: image.id) { image in
            guard image.status == "uploading" else {
                throw NovaError.conflict("Image needs to be staged before 'glance-direct' method can be used")
            }
            image.status = "importing"
        }
        var task = ImageTask(
            id: UUID().uuidString.lowercased(), type: "api_image_import", status: "processing",
            owner: image.owner ?? caller.projectID, userID: caller.userID, imageID: image.id,
            input: JSON.object(["image_id": .string(image.id), "import_req": body]).serialized(),
            requestID: context.requestID, now: clock.now)
        try await store.saveTask(task)
        do {
            let written = try await files.write(id: image.id, fromFile: try staging.path(for: image.id))
            try await store.update(id: image.id) { $0.recordUpload(written) }
            staging.remove(id: image.id)
            task.status = "success"
            task.result = JSON.object(["image_id": .string(image.id)]).serialized()
        } catch {
            _ = try? await store.update(id: image.id) { $0.status = "queued" }
            staging.remove(id: image.id)
            task.status = "failure"
            task.message = "\(error)"
        }
        task.updatedAt = clock.now
        task.expiresAt = clock.now.addingTimeInterval(Self.taskLifetime)
        try await store.saveTask(task)
        return Response.empty(status: 202)
    }

    /// The bytes a project has staged and not yet imported.
    func stagedBytes(owner: String, staging: ImageFileStore) async throws -> Int {
        try await store.usage(owner: owner).stagingIDs.reduce(0) { total, id in
            let attributes = try? FileManager.default.attributesOfItem(atPath: staging.path(for: id))
            return total + (attributes?[.size] as? Int ?? 0)
        }
    }

    func taskJSON(_ task: ImageTask) -> JSON {
        [
            "id": .string(task.id), "type": .string(task.type), "status": .string(task.status),
            "owner": .string(task.owner), "user_id": .string(task.userID), "image_id": .optional(task.imageID),
            "request_id": .string(task.requestID), "input": JSON.parse(Array(task.input.utf8)) ?? [:],
            "result": task.result.flatMap { JSON.parse(Array($0.utf8)) } ?? .null, "message": .string(task.message),
            "created_at": .string(Timestamp.iso(task.createdAt)), "updated_at": .string(Timestamp.iso(task.updatedAt)),
            "expires_at": task.expiresAt.map { .string(Timestamp.iso($0)) } ?? .null,
            "self": .string("/v2/tasks/\(task.id)"), "schema": "/v2/schemas/task",
        ]
    }
}
