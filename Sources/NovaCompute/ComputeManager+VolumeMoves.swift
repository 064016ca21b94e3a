import Foundation
import NovaCore

/// A server's volumes follow it from host to host as Nova moves them through Cinder's attachments: the host
/// it leaves hands each volume over (a new attachment with no connector, reserved to the server, then the old
/// one deleted, which ends the export to that host), and the host it arrives on connects the reserved
/// attachments with its own connector (`prepareBlockDevices`) and completes them once the guest runs.
extension ComputeManager {
    /// _terminate_volume_connections: the volumes stay the server's, connected to no host. The mapping keeps
    /// the new attachment, stored before the old one goes, so a crash in between leaves one more reservation
    /// (deleted with the server) and never a volume the server lost.
    @discardableResult
    func handOverVolumes(_ instance: Instance, context: RPCContext) async throws -> Instance {
        // Most servers have no volume: no extra read of the record for them.
        guard let volumes, !(instance.blockDevices ?? []).isEmpty else { return instance }
        let current = try await conductor.instanceGet(instance.uuid, context: context) ?? instance
        var updated = current
        for var device in current.blockDevices ?? [] where !device.isPending {
            let old = device.attachmentID
            device.attachmentID = try await volumes.reserveAttachment(
                volumeID: device.volumeID, instanceUUID: instance.uuid)
            device.connectionInfo = nil
            updated = try await store(device, of: instance.uuid, context)
            if let old {
                do {
                    try await volumes.deleteAttachment(id: old)
                } catch {
                    logger.warning("the old attachment \(old) of volume \(device.volumeID) stays: \(error)")
                }
            }
        }
        return updated
    }

    /// The volumes of a server arriving here, connected to this host: the instance as the driver starts it.
    func connectVolumes(_ instance: Instance, context: RPCContext) async throws -> Instance {
        guard !(instance.blockDevices ?? []).isEmpty else { return instance }
        var connected = instance
        connected.blockDevices = try await prepareBlockDevices(instance, context: context).blockDevices
        return connected
    }

    /// Evacuation: the source host is down, so each volume gets a new attachment (the old ones deleted) and
    /// is connected here, as Nova's rebuild with recreate does.
    func reattachVolumes(_ instance: Instance, context: RPCContext) async throws -> Instance {
        guard !(instance.blockDevices ?? []).isEmpty else { return instance }
        var moved = instance
        moved.blockDevices = try await handOverVolumes(instance, context: context).blockDevices
        return try await connectVolumes(moved, context: context)
    }

    /// Live migration, at the destination: a new attachment per volume connected with this host's connector,
    /// the old one left to the source until the guest arrived (`finishVolumeMove`). Returns the instance with
    /// the new connections for the QEMU that waits for the guest.
    func connectVolumesForLiveMigration(_ instance: Instance) async throws -> Instance {
        guard let volumes, !(instance.blockDevices ?? []).isEmpty else { return instance }
        var arriving = instance
        var connected: [BlockDeviceMapping] = []
        var reserved: [String] = []
        do {
            for var device in instance.blockDevices ?? [] where !device.isPending {
                let attachmentID = try await volumes.reserveAttachment(
                    volumeID: device.volumeID, instanceUUID: instance.uuid)
                reserved.append(attachmentID)
                device.attachmentID = attachmentID
                device.connectionInfo = try await connect(attachmentID, as: device.deviceName, volumes).serialized()
                connected.append(device)
            }
        } catch {
            for id in reserved { try? await volumes.deleteAttachment(id: id) }
            throw error
        }
        arriving.blockDevices = connected
        return arriving
    }

    /// The live-migrated guest arrived: the new attachments complete and are recorded, the old ones go.
    func finishVolumeMove(from old: Instance, to arrived: Instance, context: RPCContext) async throws {
        guard let volumes else { return }
        for device in arrived.blockDevices ?? [] {
            if let id = device.attachmentID { try await volumes.completeAttachment(id: id) }
            try await store(device, of: arrived.uuid, context)
        }
        let kept = Set((arrived.blockDevices ?? []).compactMap(\.attachmentID))
        for device in old.blockDevices ?? [] {
            guard let id = device.attachmentID, !kept.contains(id) else { continue }
            do {
                try await volumes.deleteAttachment(id: id)
            } catch {
                logger.warning("the source attachment \(id) of volume \(device.volumeID) stays: \(error)")
            }
        }
    }

    /// A live migration that did not happen: the destination's new attachments go.
    func dropArrivingVolumes(_ arriving: Instance, keeping old: Instance) async {
        let kept = Set((old.blockDevices ?? []).compactMap(\.attachmentID))
        for device in arriving.blockDevices ?? [] {
            guard let id = device.attachmentID, !kept.contains(id) else { continue }
            try? await volumes?.deleteAttachment(id: id)
        }
    }
}
