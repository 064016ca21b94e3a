import Foundation
import NovaCore
import NovaVirt

extension ComputeManager {
    static let attachVolumeEvent = "compute_attach_volume"
    static let detachVolumeEvent = "compute_detach_volume"
    static let swapVolumeEvent = "compute_swap_volume"
    static let extendVolumeEvent = "compute_extend_volume"

    func addVolumeMethods(to dispatcher: inout RPCDispatcher) {
        dispatcher.on("attach_volume") { (request: VolumeAttachRequest, context) in
            await attachVolume(request.instance, request.device, context: context)
            return RPCVoid()
        }
        dispatcher.on("detach_volume") { (request: VolumeAttachRequest, context) in
            await detachVolume(request.instance, request.device, context: context)
            return RPCVoid()
        }
        dispatcher.on("swap_volume") { (request: VolumeSwapRequest, context) in
            await swapVolume(request.instance, old: request.old, new: request.new, context: context)
            return RPCVoid()
        }
    }

    /// swap_volume: the new volume's attachment gets this host's connector, the guest's disk is copied onto it
    /// and switched over, the mapping (the same device) records the new volume, and the old attachment ends
    /// (the old volume, `detaching` since the API, is available again). A failure lets the new attachment go
    /// and the old volume is `in-use` again.
    func swapVolume(_ instance: Instance, old: BlockDeviceMapping, new: BlockDeviceMapping, context: RPCContext)
        async
    {
        await event(instance, Self.swapVolumeEvent, context)
        guard let volumes, let attachmentID = new.attachmentID else {
            await event(instance, Self.swapVolumeEvent, context, result: "Error", traceback: "no volume service")
            return
        }
        do {
            let connection = try await connect(attachmentID, as: old.deviceName, volumes)
            var swapped = new
            swapped.connectionInfo = connection.serialized()
            try await driver.swapVolume(instance, old: old, new: swapped, connection: connection)
            try await volumes.completeAttachment(id: attachmentID)
            var update = InstanceUpdate()
            update.blockDevice = swapped
            _ = try await conductor.instanceUpdate(instance.uuid, update, context: context)
            if let oldAttachment = old.attachmentID { try? await volumes.deleteAttachment(id: oldAttachment) }
            await event(instance, Self.swapVolumeEvent, context, result: "Success")
        } catch {
            logger.warning("volume \(old.volumeID) of \(instance.uuid) could not be swapped: \(error)")
            try? await volumes.deleteAttachment(id: attachmentID)
            try? await volumes.rollDetaching(volumeID: old.volumeID)
            await event(instance, Self.swapVolumeEvent, context, result: "Error", traceback: "\(error)")
        }
    }

    /// extend_volume (Cinder's `volume-extended` event, the volume's id its tag): the guest's disk takes the
    /// volume's new size. A volume the server no longer has is ignored, as Nova does.
    func extendVolume(_ uuid: String, volumeID: String, context: RPCContext) async {
        guard let volumes, let instance = try? await conductor.instanceGet(uuid, context: context),
            let device = instance.blockDevices?.first(where: { $0.volumeID == volumeID && $0.connectionInfo != nil })
        else {
            logger.info("volume \(volumeID) grew, but server \(uuid) has no connected mapping of it here")
            return
        }
        await event(instance, Self.extendVolumeEvent, context)
        do {
            guard let volume = try await volumes.volume(id: volumeID, project: nil) else {
                throw NovaError.notFound("Volume \(volumeID) could not be found.")
            }
            let (bytes, overflow) = volume.size.multipliedReportingOverflow(by: 1 << 30)
            guard !overflow else { throw NovaError.internalError("volume \(volumeID) has an impossible size") }
            try await driver.extendVolume(instance, device: device, bytes: bytes)
            await event(instance, Self.extendVolumeEvent, context, result: "Success")
        } catch {
            logger.warning("the disk of volume \(volumeID) on \(uuid) could not grow: \(error)")
            await event(instance, Self.extendVolumeEvent, context, result: "Error", traceback: "\(error)")
        }
    }

    /// attach_volume: the reserved attachment gets this host's connector (the volume service exports the
    /// volume), the guest gets the disk, the attachment is completed and the mapping keeps the connection.
    /// A failure lets the attachment go and removes the mapping, as Nova does.
    func attachVolume(_ instance: Instance, _ device: BlockDeviceMapping, context: RPCContext) async {
        await event(instance, Self.attachVolumeEvent, context)
        guard let volumes, let attachmentID = device.attachmentID else {
            await event(instance, Self.attachVolumeEvent, context, result: "Error", traceback: "no volume service")
            return
        }
        var connected = device
        do {
            let connection = try await connect(attachmentID, as: device.deviceName, volumes)
            connected.connectionInfo = connection.serialized()
            let current = try await conductor.instanceGet(instance.uuid, context: context) ?? instance
            try await driver.attachVolume(current, device: connected, connection: connection)
            do {
                try await volumes.completeAttachment(id: attachmentID)
                var update = InstanceUpdate()
                update.blockDevice = connected
                _ = try await conductor.instanceUpdate(instance.uuid, update, context: context)
            } catch {
                try? await driver.detachVolume(current, device: connected)
                throw error
            }
            await event(instance, Self.attachVolumeEvent, context, result: "Success")
        } catch {
            logger.warning("volume \(device.volumeID) could not be attached to \(instance.uuid): \(error)")
            try? await volumes.deleteAttachment(id: attachmentID)
            var update = InstanceUpdate()
            update.removeBlockDevice = device.volumeID
            _ = try? await conductor.instanceUpdate(instance.uuid, update, context: context)
            await event(instance, Self.attachVolumeEvent, context, result: "Error", traceback: "\(error)")
        }
    }

    /// detach_volume: the guest lets the disk go, the attachment ends, the mapping goes.
    func detachVolume(_ instance: Instance, _ device: BlockDeviceMapping, context: RPCContext) async {
        await event(instance, Self.detachVolumeEvent, context)
        do {
            let current = try await conductor.instanceGet(instance.uuid, context: context) ?? instance
            try await driver.detachVolume(current, device: device)
            if let attachmentID = device.attachmentID { try await volumes?.deleteAttachment(id: attachmentID) }
            var update = InstanceUpdate()
            update.removeBlockDevice = device.volumeID
            _ = try await conductor.instanceUpdate(instance.uuid, update, context: context)
            await event(instance, Self.detachVolumeEvent, context, result: "Success")
        } catch {
            logger.warning("volume \(device.volumeID) could not be detached from \(instance.uuid): \(error)")
            await event(instance, Self.detachVolumeEvent, context, result: "Error", traceback: "\(error)")
        }
    }

    /// A deleted server's volumes: their attachments end, and those marked delete_on_termination are deleted.
    func releaseVolumes(_ instance: Instance, context: RPCContext) async {
        let current = (try? await conductor.instanceGet(instance.uuid, context: context)) ?? instance
        for device in current.blockDevices ?? [] {
            do {
                if let attachmentID = device.attachmentID { try await volumes?.deleteAttachment(id: attachmentID) }
                if device.deleteOnTermination, !device.isPending {
                    try await volumes?.deleteVolume(id: device.volumeID)
                }
            } catch {
                logger.warning("volume \(device.volumeID) of deleted server \(instance.uuid): \(error)")
            }
        }
    }
}
