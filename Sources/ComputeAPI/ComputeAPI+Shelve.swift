import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// shelve, shelveOffload, unshelve (shelve.py) and createBackup (create_backup.py): operations that leave an
/// image of the server in the image service.
extension ComputeAPI {
    func shelveAction(
        _ name: String, _ argument: JSON, _ instance: Instance, _ request: Request, _ context: NovaRequestContext
    ) async throws -> Response? {
        let caller = try context.caller()
        switch name {
        case "shelve":
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:os-shelve:shelve", caller, targetProject: instance.projectID)
            let now = clock.now
            // A volume-backed server keeps its disk in its volumes: no image, it is offloaded at once (Nova).
            guard !instance.isVolumeBacked else {
                try await startOperation(.shelve, on: instance, context: context) { $0.shelvedAt = now }
                return Response.empty(status: 202)
            }
            let image = snapshotImage(
                of: instance, name: instance.displayName + "-shelved", type: "snapshot", userID: caller.userID)
            try await images.create(image, as: caller)
            do {
                try await startOperation(.shelve, on: instance, context: context) { current in
                    current.shelvedImageID = image.id
                    current.shelvedAt = now
                }
            } catch {
                try? await images.delete(id: image.id, as: caller)
                throw error
            }
        case "shelveOffload":
            try PolicyRule.admin.enforce("os_compute_api:os-shelve:shelve_offload", caller)
            try await startOperation(.shelveOffload, on: instance, context: context)
        case "unshelve":
            try await unshelve(argument, instance, context)
        case "createBackup":
            return try await createBackup(argument, instance, request, context)
        default:
            return nil
        }
        return Response.empty(status: 202)
    }

    /// unshelve: powers a shelved server on where it is; an offloaded one goes through the scheduler, into the
    /// availability zone (2.77) or onto the host (2.91, admin) the body names.
    func unshelve(_ argument: JSON, _ instance: Instance, _ context: NovaRequestContext) async throws {
        let caller = try context.caller()
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:os-shelve:unshelve", caller, targetProject: instance.projectID)
        var zone: String??
        var host: String?
        if argument != .null {
            guard context.apiVersion >= APIVersion(2, 77), let object = argument.objectValue else {
                throw NovaError.badRequest("Invalid input for field/attribute unshelve. Value must be null")
            }
            let allowed: Set<String> =
                context.apiVersion >= APIVersion(2, 91) ? ["availability_zone", "host"] : ["availability_zone"]
            if let unknown = object.entries.map(\.0).first(where: { !allowed.contains($0) }) {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute unshelve. Additional properties are not allowed ('\(unknown)' was unexpected)"
                )
            }
            if let value = object["availability_zone"] {
                if value == .null, context.apiVersion >= APIVersion(2, 91) {
                    zone = .some(nil)
                } else if let text = value.stringValue {
                    let zones = Set(try await store.services(binary: "nova-compute").map(\.zone))
                    guard zones.contains(text) else {
                        throw NovaError.badRequest("The requested availability zone is not available")
                    }
                    zone = .some(text)
                } else {
                    throw NovaError.badRequest("Invalid input for field/attribute availability_zone.")
                }
            }
            if let value = object["host"] {
                try PolicyRule.admin.enforce("os_compute_api:os-shelve:unshelve_to_host", caller)
                guard let text = value.stringValue,
                    try await !store.services(host: text, binary: "nova-compute").isEmpty
                else { throw NovaError.badRequest("Compute host \(value.stringValue ?? "") could not be found.") }
                host = text
            }
        }
        let newZone = zone
        let targeted = zone != nil || host != nil
        let updated = try await startOperation(.unshelve, on: instance, context: context) { current in
            if targeted, current.vmState != .shelvedOffloaded {
                throw NovaError.conflict(
                    "The availability_zone and host parameters apply only to a server in vm_state shelved_offloaded;"
                        + " instance \(current.uuid) is in vm_state \(current.vmState.rawValue)")
            }
            if let newZone {
                current.pinnedAvailabilityZone = newZone
                current.availabilityZone = newZone ?? config.defaultAvailabilityZone
            }
        }
        guard updated.host == nil else { return }
        do {
            try await conductor.unshelveInstance(
                UnshelveRequest(
                    instanceUUID: updated.uuid, availabilityZone: updated.pinnedAvailabilityZone,
                    host: host),
                context: context.rpcContext)
        } catch {
            _ = try? await store.updateInstance(
                uuid: updated.uuid, InstanceUpdate(expectedTaskStates: [.unshelving], taskState: .some(nil)))
            throw NovaError.conflict("The conductor is not available, so 'unshelve' was not started.")
        }
    }

    /// createBackup: a snapshot with image_type backup; once it is uploaded the host keeps the newest
    /// `rotation` backups of this `backup_type` and deletes the rest.
    func createBackup(_ argument: JSON, _ instance: Instance, _ request: Request, _ context: NovaRequestContext)
        async throws -> Response
    {
        let caller = try context.caller()
        if instance.isVolumeBacked {
            throw NovaError.badRequest("Backup is not supported for volume-backed instances.")
        }
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:os-create-backup", caller, targetProject: instance.projectID)
        guard let object = argument.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute createBackup. Value must be an object")
        }
        for field in ["name", "backup_type", "rotation"] where object[field] == nil {
            throw NovaError.badRequest(
                "Invalid input for field/attribute createBackup. '\(field)' is a required property")
        }
        guard let name = object["name"]?.stringValue, (1...255).contains(name.count) else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute name. A name of 1 to 255 characters is required")
        }
        guard let backupType = object["backup_type"]?.stringValue, !backupType.isEmpty else {
            throw NovaError.badRequest("Invalid input for field/attribute backup_type. Value must be a string")
        }
        let rotation = try CheckedInput.requiredInteger(
            object["rotation"], field: "rotation", in: CheckedInput.databaseRange, allowString: true)
        var image = snapshotImage(of: instance, name: name, type: "backup", userID: caller.userID)
        image.properties["backup_type"] = backupType
        try await images.create(image, as: caller)
        let isAdmin = caller.isAdmin
        do {
            let updated = try await store.mutateInstance(
                uuid: instance.uuid, action: actionRecord("createBackup", instance, context)
            ) { current in
                try Self.checkSnapshotAllowed("createBackup", current, isAdmin: isAdmin)
                current.taskState = .imageBackup
            }
            guard let host = updated.host else { throw NovaError.conflict("Instance \(instance.uuid) is not ready") }
            do {
                try await compute.backupInstance(
                    updated, imageID: image.id, backupType: backupType, rotation: rotation, host: host,
                    context: context.rpcContext)
            } catch {
                _ = try? await store.updateInstance(
                    uuid: updated.uuid, InstanceUpdate(expectedTaskStates: [.imageBackup], taskState: .some(nil)))
                throw NovaError.conflict("Compute host \(host) is not available, so 'createBackup' was not started.")
            }
        } catch {
            try? await images.delete(id: image.id, as: caller)
            throw error
        }
        if context.apiVersion >= APIVersion(2, 45) {
            return Response.json(["image_id": .string(image.id)], status: 202)
        }
        let location = request.baseURL(fallback: "") + "/image/v2/images/" + image.id
        return Response.empty(status: 202, headers: [.location: location])
    }

    /// Lock and state guards of createImage and createBackup.
    static func checkSnapshotAllowed(_ action: String, _ current: Instance, isAdmin: Bool) throws {
        if current.locked, !isAdmin { throw NovaError.conflict("Instance \(current.uuid) is locked") }
        guard snapshotStates.contains(current.vmState), current.taskState == nil else {
            throw NovaError.conflict(
                "Cannot '\(action)' instance \(current.uuid) while it is in vm_state \(current.vmState.rawValue)"
                    + (current.taskState.map { ", task_state \($0.rawValue)" } ?? ""))
        }
    }

    /// A queued private image for a snapshot of `instance` (Nova's compute API _create_image).
    func snapshotImage(of instance: Instance, name: String, type: String, userID: String) -> ImageRecord {
        var image = ImageRecord(
            id: UUID().uuidString.lowercased(), name: name, owner: instance.projectID, visibility: "private",
            createdAt: clock.now)
        image.properties = [
            "instance_uuid": instance.uuid, "image_type": type, "base_image_ref": instance.imageRef,
            "user_id": userID,
        ]
        image.minDisk = instance.flavor.rootGB
        image.containerFormat = "bare"
        return image
    }
}
