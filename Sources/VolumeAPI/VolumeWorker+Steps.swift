import Foundation
import NovaCore
import VolumeCore

extension VolumeWorker {
    /// Makes the volume's data (blank, or from its snapshot, source volume or image); a failure removes what
    /// was made and leaves the volume in `error` with the reason.
    func create(_ volume: Volume) async {
        var placed = volume
        placed.host = backendHost
        do {
            let location: String
            if let snapshotID = volume.snapshotID {
                guard let snapshot = try await store.snapshot(id: snapshotID) else {
                    throw NovaError.snapshotNotFound(snapshotID)
                }
                location = try await backend.createVolume(placed, from: snapshot)
            } else if let sourceID = volume.sourceVolumeID {
                guard let source = try await store.volume(id: sourceID) else {
                    throw NovaError.volumeNotFound(sourceID)
                }
                location = try await backend.createClone(placed, of: source)
            } else {
                location = try await backend.createVolume(placed)
                placed.providerLocation = location
                if let imageID = volume.imageID { try await copyImage(imageID, into: placed) }
            }
            let host = backendHost
            let now = clock.now
            await setVolume(volume.id) { volume in
                volume.host = host
                volume.providerLocation = location
                volume.status = VolumeStatus.available
                volume.errorReason = nil
                volume.launchedAt = now
            }
        } catch {
            logger.warning("volume \(volume.id) could not be created: \(error)")
            try? await backend.deleteVolume(placed)
            let reason = Self.reason(error)
            await setVolume(volume.id) { volume in
                volume.status = VolumeStatus.error
                volume.errorReason = reason
            }
        }
    }

    func copyImage(_ imageID: String, into volume: Volume) async throws {
        let info = try await images.image(id: imageID, project: nil)
        let path = scratchDirectory + "/image-\(volume.id)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
        try await images.download(id: imageID, to: path)
        try await backend.copyImage(toVolume: volume, imageFile: path, format: info?.diskFormat ?? "raw")
    }

    /// Removes the volume's snapshots (a cascade) and data, then its record; a failure leaves `error_deleting`.
    func delete(_ volume: Volume) async {
        do {
            for snapshot in try await store.snapshots(volumeIDs: [volume.id]) {
                try await backend.deleteSnapshot(snapshot)
                try await store.deleteSnapshot(id: snapshot.id)
            }
            try await backend.deleteVolume(volume)
            try await store.deleteVolume(id: volume.id)
        } catch {
            logger.warning("volume \(volume.id) could not be deleted: \(error)")
            let reason = Self.reason(error)
            await setVolume(volume.id) { volume in
                volume.status = VolumeStatus.errorDeleting
                volume.errorReason = reason
            }
        }
    }

    /// Grows the volume's data; an attached volume's servers hear `volume-extended`. A failure gives the
    /// volume its old size back, in `error_extending`.
    func extend(_ volume: Volume) async {
        do {
            try await backend.extendVolume(volume, to: volume.size)
            await setVolume(volume.id) { volume in
                volume.status = volume.statusBeforeExtend ?? VolumeStatus.available
                volume.sizeBeforeExtend = nil
                volume.statusBeforeExtend = nil
            }
            if volume.statusBeforeExtend == VolumeStatus.inUse, let nova {
                let servers = try await store.attachments(volumeIDs: [volume.id]).compactMap(\.instanceUUID)
                try await nova.send(
                    servers.map {
                        ServerExternalEvent(name: ServerExternalEvent.volumeExtended, serverUUID: $0, tag: volume.id)
                    })
            }
        } catch {
            logger.warning("volume \(volume.id) could not be extended: \(error)")
            let reason = Self.reason(error)
            await setVolume(volume.id) { volume in
                volume.size = volume.sizeBeforeExtend ?? volume.size
                volume.status = VolumeStatus.errorExtending
                volume.errorReason = reason
                volume.sizeBeforeExtend = nil
                volume.statusBeforeExtend = nil
            }
        }
    }

    /// Copies the volume's data into its new image; the volume goes back to what it was either way.
    func upload(_ volume: Volume) async {
        let path = scratchDirectory + "/upload-\(volume.id)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var failure: String?
        do {
            guard let imageID = volume.uploadImageID else { throw NovaError.internalError("no image to upload to") }
            try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
            let format = volume.uploadDiskFormat ?? "raw"
            try await backend.copyVolume(toImageFile: volume, path: path, format: format)
            try await images.upload(id: imageID, from: path, diskFormat: format)
        } catch {
            logger.warning("volume \(volume.id) could not be uploaded to its image: \(error)")
            failure = Self.reason(error)
        }
        await setVolume(volume.id) { [failure] volume in
            volume.status = volume.statusBeforeUpload ?? VolumeStatus.available
            volume.statusBeforeUpload = nil
            volume.uploadImageID = nil
            volume.uploadDiskFormat = nil
            if let failure { volume.errorReason = "upload to image failed: " + failure }
        }
    }

    func createSnapshot(_ snapshot: VolumeSnapshot) async {
        do {
            guard let volume = try await store.volume(id: snapshot.volumeID) else {
                throw NovaError.volumeNotFound(snapshot.volumeID)
            }
            let location = try await backend.createSnapshot(snapshot, of: volume)
            let now = clock.now
            try await store.updateSnapshot(id: snapshot.id) { snapshot in
                snapshot.providerLocation = location
                snapshot.status = SnapshotStatus.available
                snapshot.updatedAt = now
            }
        } catch {
            logger.warning("snapshot \(snapshot.id) could not be created: \(error)")
            try? await backend.deleteSnapshot(snapshot)
            let reason = Self.reason(error)
            _ = try? await store.updateSnapshot(id: snapshot.id) { snapshot in
                snapshot.status = SnapshotStatus.error
                snapshot.errorReason = reason
            }
        }
    }

    func deleteSnapshot(_ snapshot: VolumeSnapshot) async {
        do {
            try await backend.deleteSnapshot(snapshot)
            try await store.deleteSnapshot(id: snapshot.id)
        } catch {
            logger.warning("snapshot \(snapshot.id) could not be deleted: \(error)")
            let reason = Self.reason(error)
            _ = try? await store.updateSnapshot(id: snapshot.id) { snapshot in
                snapshot.status = SnapshotStatus.errorDeleting
                snapshot.errorReason = reason
            }
        }
    }
}
