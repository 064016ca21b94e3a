import Foundation
import NovaCore

/// shelve_instance, shelve_offload_instance and unshelve_instance (nova/compute/manager.py): a shelved server
/// is powered off with a snapshot of its disk in the image service; offloaded, it has no host and holds no
/// resources; unshelved, it runs again from that snapshot, on this host or on the one the conductor chose.
extension ComputeManager {
    static let shelvingStates: [TaskState?] = [
        .shelving, .shelvingImagePendingUpload, .shelvingImageUploading, .shelvingOffloading,
    ]

    func performShelving(_ operation: InstanceOperation, on instance: Instance, context: RPCContext) async {
        let eventName = "compute_" + operation.computeMethod
        await event(instance, eventName, context)
        do {
            switch operation {
            case .shelve: try await shelve(instance, context: context)
            case .shelveOffload: try await offload(instance, expected: [.shelvingOffloading], context: context)
            default: try await unshelve(instance, context: context)
            }
            await event(instance, eventName, context, result: "Success")
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            if InstanceUpdate.isPreempted(error) {
                // Another delivery of the operation, or its rollback, has the instance now: reverting here would
                // undo their work (Nova's reverts_task_state leaves it too). A guest this unshelve made goes,
                // unless the instance is being unshelved here again.
                logger.info("\(operation.computeMethod) of \(instance.uuid) possibly preempted: \(message)")
                if operation == .unshelve, instance.vmState == .shelvedOffloaded,
                    let current = try? await conductor.instanceGet(instance.uuid, context: context),
                    current.taskState != .unshelving || current.host != config.host,
                    await driver.powerState(of: instance) != nil
                {
                    try? await driver.destroy(instance)
                }
            } else {
                logger.error("\(operation.computeMethod) of \(instance.uuid) failed: \(message)")
                await revertShelving(operation, instance, context: context)
            }
            await event(instance, eventName, context, result: "Error", traceback: message)
        }
    }

    /// Powers the guest off, uploads its disk to the shelved image, and offloads at once when
    /// `shelved_offload_time` is 0 (Nova's default).
    func shelve(_ instance: Instance, context: RPCContext) async throws {
        if let power = await driver.powerState(of: instance), power != .shutdown {
            try await driver.powerOff(instance)
        }
        // A volume-backed server's disk is its volumes: it is offloaded at once (Nova's shelve_offload_instance).
        if instance.isVolumeBacked, instance.shelvedImageID == nil {
            return try await offload(instance, expected: [.shelving], context: context)
        }
        guard let imageID = instance.shelvedImageID else {
            throw NovaError.internalError("Instance \(instance.uuid) has no image to shelve to")
        }
        try await update(
            instance.uuid,
            InstanceUpdate(
                expectedTaskStates: [.shelving], taskState: .shelvingImagePendingUpload, powerState: .shutdown),
            context)
        try await update(
            instance.uuid,
            InstanceUpdate(expectedTaskStates: [.shelvingImagePendingUpload], taskState: .shelvingImageUploading),
            context)
        try await driver.snapshot(instance, imageID: imageID)
        let offloadNow = config.shelvedOffloadTime == 0
        try await update(
            instance.uuid,
            InstanceUpdate(
                expectedTaskStates: [.shelvingImageUploading], vmState: .shelved,
                taskState: .some(offloadNow ? .shelvingOffloading : nil), powerState: .shutdown),
            context)
        if offloadNow { try await offload(instance, expected: [.shelvingOffloading], context: context) }
    }

    /// Destroys the guest and hands its volumes over (connected to no host); the conductor takes the host away
    /// and gives the allocation back.
    func offload(_ instance: Instance, expected: [TaskState?], context: RPCContext) async throws {
        if await driver.powerState(of: instance) != nil { try await driver.destroy(instance) }
        try await bindPorts(instance, to: "")
        try await handOverVolumes(instance, context: context)
        var offloaded = InstanceUpdate(
            expectedTaskStates: expected, vmState: .shelvedOffloaded, taskState: .some(nil), powerState: .shutdown)
        offloaded.clearHost = true
        try await conductor.instanceOffload(instance.uuid, offloaded, context: context)
    }

    /// A shelved guest is powered on where it is; an offloaded one is built here from its snapshot (or boots
    /// from its root volume) with its volumes connected to this host. Either way the snapshot is deleted once
    /// the server runs.
    func unshelve(_ instance: Instance, context: RPCContext) async throws {
        if instance.vmState == .shelved {
            try await driver.powerOn(instance)
        } else {
            var fromSnapshot = instance
            if !instance.isVolumeBacked {
                guard let imageID = instance.shelvedImageID else {
                    throw NovaError.internalError("Instance \(instance.uuid) has no shelved image")
                }
                fromSnapshot.imageRef = imageID
            }
            // A guest left by an attempt that a restart cut short is built again.
            if await driver.powerState(of: instance) != nil { try await driver.destroy(instance) }
            try await bindPorts(instance, to: config.host)
            fromSnapshot = try await connectVolumes(fromSnapshot, context: context)
            try await driver.spawn(fromSnapshot)
            try await completeBlockDevices(fromSnapshot)
        }
        var running = InstanceUpdate(
            expectedTaskStates: [.unshelving], vmState: .active, taskState: .some(nil), powerState: .running,
            launchedAt: clock.now)
        running.clearShelved = true
        try await update(instance.uuid, running, context)
        if let imageID = instance.shelvedImageID {
            do {
                try await images?.delete(imageID)
            } catch {
                logger.warning("could not delete the shelved image \(imageID) of \(instance.uuid): \(error)")
            }
        }
    }

    /// A failed shelve leaves the server as it was (its snapshot deleted); a failed offload leaves it shelved;
    /// a failed unshelve of an offloaded server gives its new host and allocation back, as Nova's rollback does.
    func revertShelving(_ operation: InstanceOperation, _ instance: Instance, context: RPCContext) async {
        let current = try? await conductor.instanceGet(instance.uuid, context: context)
        if operation == .unshelve, instance.vmState == .shelvedOffloaded {
            if await driver.powerState(of: instance) != nil { try? await driver.destroy(instance) }
            try? await bindPorts(instance, to: "")
            _ = try? await handOverVolumes(instance, context: context)
            var back = InstanceUpdate(expectedTaskStates: [.unshelving], taskState: .some(nil))
            back.clearHost = true
            _ = try? await conductor.instanceOffload(instance.uuid, back, context: context)
            return
        }
        var revert = InstanceUpdate(
            expectedTaskStates: operation == .unshelve ? [.unshelving] : Self.shelvingStates, taskState: .some(nil),
            powerState: await driver.powerState(of: instance))
        if operation == .shelve, current?.vmState != .shelved {
            revert.clearShelved = true
            if let imageID = instance.shelvedImageID { try? await images?.delete(imageID) }
        }
        _ = try? await update(instance.uuid, revert, context)
    }

    /// Nova's _poll_shelved_instances: servers shelved longer than `shelved_offload_time` are offloaded.
    func offloadShelvedInstances() async throws {
        guard config.shelvedOffloadTime > 0 else { return }
        let due = clock.now.addingTimeInterval(-TimeInterval(config.shelvedOffloadTime))
        for instance in try await conductor.instancesOnHost(config.host, context: serviceContext)
        where instance.vmState == .shelved && instance.taskState == nil && (instance.shelvedAt ?? .distantPast) < due {
            let context = serviceContext
            let offloading = try await update(
                instance.uuid, InstanceUpdate(expectedTaskStates: [nil], taskState: .shelvingOffloading), context)
            await performShelving(.shelveOffload, on: offloading, context: context)
        }
    }
}
