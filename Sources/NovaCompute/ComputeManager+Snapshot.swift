import NovaCore

extension ComputeManager {
    static let snapshotEvent = "compute_snapshot_instance"

    /// snapshot_instance: image_snapshot -> image_pending_upload -> image_uploading -> none. A failure puts the
    /// task_state back and records the error; the instance keeps running either way.
    func snapshot(_ instance: Instance, imageID: String, context: RPCContext) async {
        await event(instance, Self.snapshotEvent, context)
        do {
            try await update(
                instance.uuid,
                InstanceUpdate(expectedTaskStates: [.imageSnapshot], taskState: .imagePendingUpload), context)
            try await update(
                instance.uuid,
                InstanceUpdate(expectedTaskStates: [.imagePendingUpload], taskState: .imageUploading), context)
            try await driver.snapshot(instance, imageID: imageID)
            try await update(
                instance.uuid, InstanceUpdate(expectedTaskStates: [.imageUploading], taskState: .some(nil)), context)
            await event(instance, Self.snapshotEvent, context, result: "Success")
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.error("snapshot of \(instance.uuid) failed: \(message)")
            _ = try? await update(
                instance.uuid,
                InstanceUpdate(
                    expectedTaskStates: [.imageSnapshot, .imagePendingUpload, .imageUploading], taskState: .some(nil)),
                context)
            await event(instance, Self.snapshotEvent, context, result: "Error", traceback: message)
        }
    }
}
