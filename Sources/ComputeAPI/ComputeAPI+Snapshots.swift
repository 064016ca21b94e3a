import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// createImage (servers.py _action_create_image): a queued image in the image service, then the host uploads
/// the disk into it while the instance is in task_state image_snapshot.
extension ComputeAPI {
    static let snapshotStates: Set<VMState> = [.active, .stopped, .paused, .suspended]

    func createImage(_ argument: JSON, _ instance: Instance, _ request: Request, _ context: NovaRequestContext)
        async throws -> Response
    {
        let caller = try context.caller()
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:servers:create_image", caller, targetProject: instance.projectID)
        guard let name = argument["name"]?.stringValue, (1...255).contains(name.count) else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute name. A name of 1 to 255 characters is required")
        }
        var properties: [String: String] = [:]
        if let metadata = argument["metadata"], metadata != .null {
            guard let object = metadata.objectValue else {
                throw NovaError.badRequest("Invalid input for field/attribute metadata. Value must be an object")
            }
            for (key, value) in object.entries {
                guard let text = value.stringValue, (1...255).contains(key.count) else {
                    throw NovaError.badRequest(
                        "Invalid input for field/attribute metadata: \(key) must map to a string")
                }
                properties[key] = text
            }
        }
        if instance.isVolumeBacked {
            return try await createVolumeBackedImage(
                name: name, properties: properties, instance, request, context)
        }
        guard let host = instance.host else { throw NovaError.conflict("Instance \(instance.uuid) is not ready") }
        var image = snapshotImage(of: instance, name: name, type: "snapshot", userID: caller.userID)
        // The caller's metadata wins over the standard properties, as Nova updates them with it.
        image.properties.merge(properties) { _, given in given }
        image.properties["owner_project_name"] = nil
        let imageID = image.id

        let isAdmin = caller.isAdmin
        let updated = try await store.mutateInstance(
            uuid: instance.uuid, action: actionRecord("createImage", instance, context)
        ) { current in
            try Self.checkSnapshotAllowed("createImage", current, isAdmin: isAdmin)
            current.taskState = .imageSnapshot
        }
        try await images.create(image, as: caller)
        do {
            try await compute.snapshotInstance(updated, imageID: imageID, host: host, context: context.rpcContext)
        } catch {
            _ = try? await store.updateInstance(
                uuid: updated.uuid, InstanceUpdate(expectedTaskStates: [.imageSnapshot], taskState: .some(nil)))
            try? await images.delete(id: imageID, as: caller)
            throw NovaError.conflict("Compute host \(host) is not available, so 'createImage' was not started.")
        }
        if context.apiVersion >= APIVersion(2, 45) {
            return Response.json(["image_id": .string(imageID)], status: 202)
        }
        let location = request.baseURL(fallback: "") + "/image/v2/images/" + imageID
        return Response.empty(status: 202, headers: [.location: location])
    }
}
