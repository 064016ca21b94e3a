import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    /// vm_states a server may have a volume attached or detached in (no task running).
    static let volumeStates: Set<VMState> = [.active, .paused, .stopped, .suspended, .resized]

    func registerVolumeAttachments(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("servers/{id}/os-volume_attachments") { request, context in
            let instance = try await volumeServer(context, action: "index", reading: true)
            let limit = try CheckedInput.integer(request.query["limit"], field: "limit", in: 0...config.maxLimit)
            let offset = try CheckedInput.integer(
                request.query["offset"], field: "offset", in: CheckedInput.databaseRange)
            let devices = (instance.blockDevices ?? []).filter { !$0.isPending }.sorted { $0.createdAt < $1.createdAt }
                .dropFirst(offset ?? 0)
                .prefix(limit ?? config.maxLimit)
            return Response.json([
                "volumeAttachments": .array(devices.map { volumeAttachmentView($0, instance, context.apiVersion) })
            ])
        }
        v21.get("servers/{id}/os-volume_attachments/{volume}") { _, context in
            let instance = try await volumeServer(context, action: "show", reading: true)
            let device = try attachedDevice(instance, context.parameter("volume"))
            return Response.json(["volumeAttachment": volumeAttachmentView(device, instance, context.apiVersion)])
        }
        v21.post("servers/{id}/os-volume_attachments") { request, context in
            let instance = try await volumeServer(context, action: "create", reading: false)
            let wanted = try volumeAttachmentBody(try await request.jsonBody(context: context), context.apiVersion)
            let device = try await attachVolume(instance, wanted, context: context)
            // 2.101: the attach is asynchronous, the answer has no body.
            guard context.apiVersion < APIVersion(2, 101) else { return Response.empty(status: 202) }
            return Response.json(["volumeAttachment": volumeAttachmentView(device, instance, context.apiVersion)])
        }
        v21.put("servers/{id}/os-volume_attachments/{volume}") { request, context in
            let instance = try await volumeServer(context, action: "update", reading: false)
            let device = try attachedDevice(instance, context.parameter("volume"))
            let body = try await request.jsonBody(context: context)
            guard let fields = body["volumeAttachment"]?.objectValue else {
                throw NovaError.badRequest("Invalid input for field/attribute volumeAttachment: an object is required")
            }
            if let volumeID = fields["volumeId"]?.stringValue, volumeID != device.volumeID {
                try await swapVolume(instance, device, to: volumeID, context: context)
                return Response.empty(status: 202)
            }
            guard context.apiVersion >= APIVersion(2, 85),
                let delete = fields["delete_on_termination"]?.boolValue
            else { return Response.empty(status: 202) }
            var update = InstanceUpdate()
            var changed = device
            changed.deleteOnTermination = delete
            update.blockDevice = changed
            _ = try await store.updateInstance(uuid: instance.uuid, update)
            return Response.empty(status: 202)
        }
        v21.delete("servers/{id}/os-volume_attachments/{volume}") { _, context in
            let instance = try await volumeServer(context, action: "delete", reading: false)
            let device = try attachedDevice(instance, context.parameter("volume"))
            guard device.bootIndex != 0 else { throw NovaError.badRequest("Cannot detach a root device volume") }
            if instance.vmState == .shelvedOffloaded {
                try await detachOffloaded(instance, device, context)
                return Response.empty(status: 202)
            }
            let ready = try await interfaceChange("detach_volume", instance, context)
            guard let host = ready.host else {
                throw NovaError.conflict("Instance \(instance.uuid) is not on a compute host yet")
            }
            try await compute.detachVolume(ready, device: device, host: host, context: context.rpcContext)
            return Response.empty(status: 202)
        }
    }

    /// The server of an os-volume_attachments call, once policy allows it.
    func volumeServer(_ context: NovaRequestContext, action: String, reading: Bool) async throws -> Instance {
        let instance = try await visibleInstance(context.parameter("id"), context)
        try (reading ? PolicyRule.projectReaderOrAdmin : .projectMemberOrAdmin).enforce(
            "os_compute_api:os-volumes-attachments:\(action)", try context.caller(), targetProject: instance.projectID)
        return instance
    }

    func attachedDevice(_ instance: Instance, _ volumeID: String) throws -> BlockDeviceMapping {
        guard let device = instance.blockDevices?.first(where: { $0.volumeID == volumeID }) else {
            throw NovaError.notFound("Volume \(volumeID) is not attached to server \(instance.uuid)")
        }
        return device
    }

    struct VolumeAttachmentRequest {
        var volumeID: String
        var device: String?
        var tag: String?
        var deleteOnTermination: Bool
    }

    /// The body Nova's schema takes: `volumeId` (a UUID), `device`, `tag` (2.49), `delete_on_termination` (2.79).
    func volumeAttachmentBody(_ body: JSON, _ version: APIVersion) throws -> VolumeAttachmentRequest {
        guard let object = body.objectValue, object.keys == ["volumeAttachment"],
            let fields = body["volumeAttachment"]?.objectValue
        else { throw NovaError.badRequest("The body must be {\"volumeAttachment\": {...}}") }
        var allowed = ["volumeId", "device"]
        if version >= APIVersion(2, 49) { allowed.append("tag") }
        if version >= APIVersion(2, 79) { allowed.append("delete_on_termination") }
        if let unknown = fields.keys.first(where: { !allowed.contains($0) }) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute volumeAttachment. Additional properties are not allowed ('\(unknown)' was unexpected)"
            )
        }
        guard let volumeID = fields["volumeId"]?.stringValue, UUID(uuidString: volumeID) != nil else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute volumeId. Value: \(fields["volumeId"]?.serialized().prefix(64) ?? "None"). 'volumeId' must be a UUID"
            )
        }
        let device = try CheckedInput.text(
            fields["device"].flatMap { $0.isNull ? nil : $0 }, field: "device", length: 0...255)
        if let device, !device.isEmpty, !device.hasPrefix("/dev/") {
            throw NovaError.badRequest("The supplied device path (\(device)) is invalid.")
        }
        let tag = try CheckedInput.text(fields["tag"], field: "tag", length: 1...60)
        guard fields["delete_on_termination"].map({ $0.boolValue != nil }) ?? true else {
            throw NovaError.badRequest("Invalid input for field/attribute delete_on_termination: a boolean is required")
        }
        return VolumeAttachmentRequest(
            volumeID: volumeID, device: device, tag: tag,
            deleteOnTermination: fields["delete_on_termination"]?.boolValue ?? false)
    }

    /// Reserves the volume for the server, records the mapping with the action, and asks the host to
    /// connect it; a refusal takes the reservation back.
    func attachVolume(_ instance: Instance, _ wanted: VolumeAttachmentRequest, context: NovaRequestContext)
        async throws -> BlockDeviceMapping
    {
        guard let volumes else { throw NovaError.badRequest("This cloud has no block-storage service.") }
        let caller = try context.caller()
        guard try await volumes.volume(id: wanted.volumeID, project: caller.isAdmin ? nil : caller.projectID) != nil
        else { throw NovaError.notFound("Volume \(wanted.volumeID) could not be found.") }
        if instance.blockDevices?.contains(where: { $0.volumeID == wanted.volumeID }) == true {
            throw NovaError.badRequest("Invalid volume: volume \(wanted.volumeID) already attached")
        }
        let attachmentID: String
        do {
            attachmentID = try await volumes.reserveAttachment(volumeID: wanted.volumeID, instanceUUID: instance.uuid)
        } catch let error as NovaError where error.code.status == 400 || error.code.status == 409 {
            throw NovaError.badRequest(error.message)
        }
        let now = clock.now
        let uuid = UUID().uuidString.lowercased()
        let isAdmin = caller.isAdmin
        do {
            let ready = try await store.mutateInstance(
                uuid: instance.uuid, action: actionRecord("attach_volume", instance, context)
            ) { current in
                try Self.checkChangeable(
                    "attach_volume", current, states: Self.volumeStates.union([.shelvedOffloaded]), isAdmin: isAdmin)
                guard current.host != nil || current.vmState == .shelvedOffloaded else {
                    throw NovaError.conflict("Cannot 'attach_volume' instance \(current.uuid) while it has no host")
                }
                let used = (current.blockDevices ?? []).map(\.deviceName)
                let name: String
                if let asked = wanted.device, !asked.isEmpty, !used.contains(asked), asked != "/dev/vda" {
                    name = asked
                } else {
                    guard let next = BlockDeviceMapping.nextDeviceName(used: used) else {
                        throw NovaError.badRequest("No free disk device names for prefix 'vd'")
                    }
                    name = next
                }
                var devices = current.blockDevices ?? []
                devices.append(
                    BlockDeviceMapping(
                        uuid: uuid, volumeID: wanted.volumeID, attachmentID: attachmentID, deviceName: name,
                        deleteOnTermination: wanted.deleteOnTermination, tag: wanted.tag, createdAt: now))
                current.blockDevices = devices
            }
            guard let device = ready.blockDevices?.first(where: { $0.uuid == uuid }) else {
                throw NovaError.conflict("Instance \(instance.uuid) is not on a compute host yet")
            }
            guard let host = ready.host else {
                // Shelved and offloaded: no guest to give it to. The volume is the server's (in-use) and its
                // unshelve connects it on the new host, as Nova's _attach_volume_shelved_offloaded.
                try await volumes.completeAttachment(id: attachmentID)
                return device
            }
            try await compute.attachVolume(ready, device: device, host: host, context: context.rpcContext)
            return device
        } catch {
            try? await volumes.deleteAttachment(id: attachmentID)
            throw error
        }
    }

    /// Detach from a shelved, offloaded server: no guest has the volume, so its mapping goes and its attachment
    /// ends here (Nova's _detach_volume_shelved_offloaded).
    func detachOffloaded(_ instance: Instance, _ device: BlockDeviceMapping, _ context: NovaRequestContext)
        async throws
    {
        let isAdmin = try context.caller().isAdmin
        _ = try await store.mutateInstance(
            uuid: instance.uuid, action: actionRecord("detach_volume", instance, context)
        ) { current in
            try Self.checkChangeable("detach_volume", current, states: [.shelvedOffloaded], isAdmin: isAdmin)
            current.blockDevices = (current.blockDevices ?? []).filter { $0.uuid != device.uuid }
        }
        if let attachmentID = device.attachmentID { try await volumes?.deleteAttachment(id: attachmentID) }
    }

    /// swap_volume (admins): the new volume, available and at least as large, is reserved for the server and
    /// the host moves the guest's disk onto it; the old one is let go once the guest uses the new one.
    func swapVolume(
        _ instance: Instance, _ old: BlockDeviceMapping, to newID: String, context: NovaRequestContext
    ) async throws {
        guard let volumes else { throw NovaError.badRequest("This cloud has no block-storage service.") }
        try PolicyRule.admin.enforce("os_compute_api:os-volumes-attachments:swap", try context.caller())
        guard UUID(uuidString: newID) != nil else {
            throw NovaError.badRequest("Invalid input for field/attribute volumeId. 'volumeId' must be a UUID")
        }
        guard let oldVolume = try await volumes.volume(id: old.volumeID, project: nil) else {
            throw NovaError.notFound("Volume \(old.volumeID) could not be found.")
        }
        guard let newVolume = try await volumes.volume(id: newID, project: nil) else {
            throw NovaError.notFound("Volume \(newID) could not be found.")
        }
        if newVolume.status != "available" || instance.blockDevices?.contains(where: { $0.volumeID == newID }) == true {
            throw NovaError.badRequest("Invalid volume: New volume must be detached in order to swap.")
        }
        if newVolume.size < oldVolume.size {
            throw NovaError.badRequest("Invalid volume: New volume must be the same size or larger.")
        }
        // As Nova: the old volume is detaching and the new one reserved before the host is asked; a refusal
        // or a failure lets both go back.
        do {
            try await volumes.beginDetaching(volumeID: old.volumeID)
        } catch let error as NovaError where error.code.status == 400 || error.code.status == 409 {
            throw NovaError.badRequest(error.message)
        }
        let attachmentID: String
        do {
            attachmentID = try await volumes.reserveAttachment(volumeID: newID, instanceUUID: instance.uuid)
        } catch {
            try? await volumes.rollDetaching(volumeID: old.volumeID)
            if let error = error as? NovaError, error.code.status == 400 || error.code.status == 409 {
                throw NovaError.badRequest(error.message)
            }
            throw error
        }
        do {
            let ready = try await interfaceChange(
                "swap_volume", instance, context, states: [.active, .paused, .resized])
            guard let host = ready.host else {
                throw NovaError.conflict("Instance \(instance.uuid) is not on a compute host yet")
            }
            var new = old
            new.volumeID = newID
            new.attachmentID = attachmentID
            new.connectionInfo = nil
            try await compute.swapVolume(ready, old: old, new: new, host: host, context: context.rpcContext)
        } catch {
            try? await volumes.deleteAttachment(id: attachmentID)
            try? await volumes.rollDetaching(volumeID: old.volumeID)
            throw error
        }
    }

    func volumeAttachmentView(_ device: BlockDeviceMapping, _ instance: Instance, _ version: APIVersion) -> JSON {
        var view: JSONObject = [:]
        if version < APIVersion(2, 89) { view["id"] = .string(device.volumeID) }
        view["serverId"] = .string(instance.uuid)
        view["volumeId"] = .string(device.volumeID)
        view["device"] = .string(device.deviceName)
        if version >= APIVersion(2, 70) { view["tag"] = device.tag.map(JSON.string) ?? .null }
        if version >= APIVersion(2, 79) { view["delete_on_termination"] = .bool(device.deleteOnTermination) }
        if version >= APIVersion(2, 89) {
            view["attachment_id"] = device.attachmentID.map(JSON.string) ?? .null
            view["bdm_uuid"] = .string(device.uuid)
        }
        return .object(view)
    }
}
