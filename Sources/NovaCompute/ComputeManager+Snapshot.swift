import NovaCore

extension ComputeManager {
    static let snapshotEvent = "compute_snapshot_instance"
    static let backupEvent = "compute_backup_instance"

    /// snapshot_instance and backup_instance: image_snapshot (or image_backup) -> image_pending_upload ->
    /// image_uploading -> none; a backup then rotates out the oldest backups of its type. A failure puts the
    /// task_state back and records the error; the instance keeps running either way.
    func snapshot(_ instance: Instance, imageID: String, backup: BackupRotation?, context: RPCContext) async {
        let eventName = backup == nil ? Self.snapshotEvent : Self.backupEvent
        let first: TaskState = backup == nil ? .imageSnapshot : .imageBackup
        await event(instance, eventName, context)
        do {
            try await update(
                instance.uuid,
                InstanceUpdate(expectedTaskStates: [first], taskState: .imagePendingUpload), context)
            try await update(
                instance.uuid,
                InstanceUpdate(expectedTaskStates: [.imagePendingUpload], taskState: .imageUploading), context)
            try await driver.snapshot(instance, imageID: imageID)
            try await update(
                instance.uuid, InstanceUpdate(expectedTaskStates: [.imageUploading], taskState: .some(nil)), context)
            if let backup { try await rotateBackups(instance, backup) }
            await event(instance, eventName, context, result: "Success")
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.error("\(backup == nil ? "snapshot" : "backup") of \(instance.uuid) failed: \(message)")
            _ = try? await update(
                instance.uuid,
                InstanceUpdate(
                    expectedTaskStates: [first, .imagePendingUpload, .imageUploading], taskState: .some(nil)),
                context)
            await event(instance, eventName, context, result: "Error", traceback: message)
        }
    }

    /// Nova's _rotate_backups: keeps the newest `rotation` backups of the type, deletes the older ones.
    func rotateBackups(_ instance: Instance, _ backup: BackupRotation) async throws {
        guard let images else { return }
        let all = try await images.backups(instanceUUID: instance.uuid, backupType: backup.backupType)
        for imageID in all.dropLast(backup.rotation) {
            logger.info("rotating out backup \(imageID) of \(instance.uuid)")
            try await images.delete(imageID)
        }
    }
}
