import Foundation
import NovaCore

extension ComputeManager {
    /// _prep_block_device: the volumes of `block_device_mapping_v2` that the build makes (from an image, a
    /// snapshot, or blank) are made in the owner's project and waited for; each volume's attachment (reserved by
    /// the API for an existing volume) is connected with this host's connector. Every step is stored on the
    /// instance as it is done, so a failed build's volumes are found and let go by its delete.
    func prepareBlockDevices(_ instance: Instance, context: RPCContext) async throws -> Instance {
        guard let volumes else { throw NovaError.internalError("This cloud has no block-storage service.") }
        var current = instance
        let devices = (instance.blockDevices ?? []).sorted { ($0.bootIndex ?? Int.max) < ($1.bootIndex ?? Int.max) }
        for original in devices {
            var device = original
            if device.isPending {
                let made = try await volumes.createVolume(creation(device, for: instance), owner: context)
                device.volumeID = made.id
                current = try await store(device, of: instance.uuid, context)
                try await awaitVolume(made.id, volumes)
            }
            if device.attachmentID == nil {
                device.attachmentID = try await volumes.reserveAttachment(
                    volumeID: device.volumeID, instanceUUID: instance.uuid)
                current = try await store(device, of: instance.uuid, context)
            }
            if let attachmentID = device.attachmentID {
                device.connectionInfo = try await connect(attachmentID, as: device.deviceName, volumes).serialized()
                current = try await store(device, of: instance.uuid, context)
            }
        }
        return current
    }

    /// The attachment gets this host's connector (the guest's device as its mountpoint): the volume service
    /// exports the volume to this host and answers how to reach it.
    func connect(_ attachmentID: String, as deviceName: String, _ volumes: any VolumeClient) async throws -> JSON {
        var connector = await driver.volumeConnector()
        connector["mountpoint"] = .string(deviceName)
        return try await volumes.connectAttachment(id: attachmentID, connector: connector)
    }

    /// The guest runs with its volumes: their attachments are complete (the volumes `in-use`).
    func completeBlockDevices(_ instance: Instance) async throws {
        for device in instance.blockDevices ?? [] {
            if let attachmentID = device.attachmentID { try await volumes?.completeAttachment(id: attachmentID) }
        }
    }

    /// A build that failed with volumes: their attachments end (the volumes are `available` again); the volumes
    /// the build made stay on the server until its delete, which deletes those marked delete_on_termination.
    func releaseBlockDeviceAttachments(_ instance: Instance, context: RPCContext) async {
        let current = (try? await conductor.instanceGet(instance.uuid, context: context)) ?? instance
        for var device in current.blockDevices ?? [] {
            guard let attachmentID = device.attachmentID else { continue }
            try? await volumes?.deleteAttachment(id: attachmentID)
            device.attachmentID = nil
            device.connectionInfo = nil
            _ = try? await store(device, of: instance.uuid, context)
        }
    }

    func creation(_ device: BlockDeviceMapping, for instance: Instance) -> VolumeCreation {
        let blank = device.sourceType == "blank"
        return VolumeCreation(
            name: blank ? "\(instance.uuid)-blank-vol" : "", size: device.volumeSize ?? 0,
            imageID: device.sourceType == "image" ? device.sourceID : nil,
            snapshotID: device.sourceType == "snapshot" ? device.sourceID : nil, volumeType: device.volumeType,
            availabilityZone: nil)
    }

    /// _await_block_device_map_created: the volume is `available`, or the build fails with Nova's words.
    func awaitVolume(_ id: String, _ volumes: any VolumeClient) async throws {
        let attempts = max(config.blockDeviceAllocateRetries, 0) + 1
        let started = clock.now
        var status = "creating"
        for attempt in 1...attempts {
            status = try await volumes.volume(id: id, project: nil)?.status ?? "deleted"
            if status == "available" { return }
            if status == "error" || status == "deleted" { break }
            if attempt < attempts {
                // Quick at first (a blank or small volume is ready in milliseconds), then at the interval.
                try await Task.sleep(for: min(config.blockDeviceAllocateInterval, .milliseconds(50 << min(attempt, 6))))
            }
        }
        let waited = Int(clock.now.timeIntervalSince(started))
        throw NovaError.internalError(
            "Volume \(id) did not finish being created even after we waited \(waited) seconds or \(attempts) attempts. And its status is \(status)."
        )
    }

    @discardableResult
    func store(_ device: BlockDeviceMapping, of uuid: String, _ context: RPCContext) async throws -> Instance {
        var update = InstanceUpdate()
        update.blockDevice = device
        return try await conductor.instanceUpdate(uuid, update, context: context)
    }
}
