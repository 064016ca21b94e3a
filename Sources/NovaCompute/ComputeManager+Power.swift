import Foundation
import NovaCore

extension ComputeManager {
    /// Carries out a power operation or delete, then records the outcome through the conductor.
    /// A failed operation reverts the task_state (Nova's `reverts_task_state`) and records the error.
    func perform(_ operation: InstanceOperation, on instance: Instance, context: RPCContext) async {
        if [.shelve, .shelveOffload, .unshelve].contains(operation) {
            await performShelving(operation, on: instance, context: context)
            return
        }
        let eventName = "compute_" + operation.computeMethod
        await event(instance, eventName, context)
        do {
            switch operation {
            case .start: try await driver.powerOn(instance)
            case .stop: try await driver.powerOff(instance)
            case .rebootSoft: try await driver.reboot(instance, hard: false)
            case .rebootHard: try await driver.reboot(instance, hard: true)
            case .pause: try await driver.pause(instance)
            case .unpause: try await driver.unpause(instance)
            case .suspend: try await driver.suspend(instance)
            case .resume: try await driver.resume(instance)
            case .delete:
                if await driver.powerState(of: instance) != nil { try await driver.destroy(instance) }
            case .rescue: try await driver.rescue(instance)
            case .unrescue: try await driver.unrescue(instance)
            case .rebuild:
                try await update(
                    instance.uuid, InstanceUpdate(expectedTaskStates: [.rebuilding], taskState: .rebuildSpawning),
                    context)
                if let failure = TrustedImageCertificates.verificationFailure(
                    instance.trustedImageCertificates, imageID: instance.imageRef,
                    properties: instance.schedulingRequest?.imageProperties ?? [:])
                {
                    if await driver.powerState(of: instance) != nil { try await driver.destroy(instance) }
                    throw NovaError.conflict(failure)
                }
                try await driver.rebuild(instance, preserveEphemeral: instance.rebuildPreservesEphemeral == true)
                if instance.vmState == .stopped { try await driver.powerOff(instance) }
            case .softDelete:
                if await driver.powerState(of: instance) == .running { try await driver.powerOff(instance) }
            case .restore:
                if await driver.powerState(of: instance) != nil { try await driver.powerOn(instance) }
            case .lock, .unlock, .shelve, .shelveOffload, .unshelve: break
            }
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.error("\(operation.computeMethod) of \(instance.uuid) failed: \(message)")
            var expected = operation.taskState.map { [$0] as [TaskState?] }
            if operation == .rebuild { expected = [.rebuilding, .rebuildSpawning] }
            // A rebuild that failed has lost its old guest: ERROR, as Nova does.
            let failedState: VMState? = operation == .rebuild ? .error : nil
            _ = try? await update(
                instance.uuid,
                InstanceUpdate(
                    expectedTaskStates: expected, vmState: failedState, taskState: .some(nil),
                    fault: failedState.map { _ in InstanceFault(code: 500, message: message, created: clock.now) }),
                context)
            await event(instance, eventName, context, result: "Error", traceback: message)
            return
        }
        // The instance as the operation left it, for the notification (a later change must not show in it).
        var outcome: Instance?
        do {
            if operation == .delete {
                await deallocateNetworks(instance)
                await releaseVolumes(instance, context: context)
                try await conductor.instanceDestroy(instance.uuid, context: context)
            } else if operation == .rebuild {
                let stopped = instance.vmState == .stopped
                outcome = try await update(
                    instance.uuid,
                    InstanceUpdate(
                        expectedTaskStates: [.rebuildSpawning], vmState: stopped ? .stopped : .active,
                        taskState: .some(nil), powerState: stopped ? .shutdown : .running, launchedAt: clock.now),
                    context)
            } else if let target = operation.outcome {
                let expected = operation.taskState.map { [$0] as [TaskState?] }
                outcome = try await update(
                    instance.uuid,
                    InstanceUpdate(
                        expectedTaskStates: expected, vmState: target.vmState, taskState: .some(nil),
                        powerState: target.powerState),
                    context)
            }
            await event(instance, eventName, context, result: "Success", reached: outcome)
        } catch {
            await event(instance, eventName, context, result: "Error", traceback: "\(error)")
        }
    }

    /// _sync_power_states: the hypervisor is the truth for power_state; a guest that stopped by itself makes
    /// its instance SHUTOFF, and a guest running while the instance is stopped is powered off.
    func syncPowerStates() async throws {
        let instances = try await conductor.instancesOnHost(config.host, context: serviceContext)
        for instance in instances where instance.taskState == nil {
            guard let power = await driver.powerState(of: instance) else { continue }
            if power == instance.powerState { continue }
            switch (instance.vmState, power) {
            case (.active, .shutdown), (.active, .crashed), (.active, .suspended):
                try await update(
                    instance.uuid,
                    InstanceUpdate(expectedTaskStates: [nil], vmState: .stopped, powerState: .shutdown),
                    serviceContext)
            case (.stopped, .running), (.stopped, .paused):
                try await driver.powerOff(instance)
                try await update(
                    instance.uuid, InstanceUpdate(expectedTaskStates: [nil], powerState: .shutdown), serviceContext)
            default:
                try await update(
                    instance.uuid, InstanceUpdate(expectedTaskStates: [nil], powerState: power), serviceContext)
            }
        }
    }

    /// init_host / _init_instance: repairs what a restart interrupted, so nothing stays in a task_state.
    public func initInstances() async throws {
        let instances = try await conductor.instancesOnHost(config.host, context: serviceContext)
        for instance in instances {
            let context = serviceContext
            switch instance.taskState {
            case .rebuilding, .rebuildSpawning,
                .rebuildBlockDeviceMapping
            where try await conductor.hasMoveTask(instance.uuid, context: context):
                continue  // an evacuation: its task finishes or rolls back
            case .scheduling, .networking,
                .spawning where instance.vmState == .building:
                // A build this restart interrupted: finished if its guest runs, else scheduled again.
                await recoverLostBuild(instance)
                continue
            case .scheduling, .networking, .spawning, .blockDeviceMapping, .rebuildSpawning,
                .rebuildBlockDeviceMapping:
                let fault = InstanceFault(
                    code: 500, message: "Instance build was interrupted by a compute restart", created: clock.now)
                try await update(
                    instance.uuid, InstanceUpdate(vmState: .error, taskState: .some(nil), fault: fault), context)
                continue
            case .imageSnapshot, .imageSnapshotPending, .imagePendingUpload, .imageUploading, .imageBackup:
                // Nova's _init_instance: an interrupted snapshot is abandoned; the server carries on.
                try await update(instance.uuid, InstanceUpdate(taskState: .some(nil)), context)
                continue
            case .shelvingImagePendingUpload, .shelvingImageUploading:
                await revertShelving(.shelve, instance, context: context)
                continue
            default:
                break
            }
            if await driver.powerState(of: instance) == nil,
                [.active, .stopped, .paused, .suspended].contains(instance.vmState)
            {
                try await driver.resumeStateOnHostBoot(instance)
            }
            if let task = instance.taskState,
                let operation = InstanceOperation.allCases.first(where: { $0.taskState == task })
            {
                logger.info("finishing interrupted \(operation.computeMethod) of \(instance.uuid)")
                await perform(operation, on: instance, context: context)
            }
        }
        try await destroyEvacuatedGuests(known: Set(instances.map(\.uuid)))
        // Moves are durable tasks: the conductor sends this host again the steps it owes.
        try await conductor.resumeHostMoves(config.host, context: serviceContext)
    }

    /// Nova's _destroy_evacuated_instances: a guest still here whose instance was deleted, or rebuilt on
    /// another host while this one was down, must not run twice. Guests the database does not know are left.
    func destroyEvacuatedGuests(known: Set<String>) async throws {
        for uuid in await driver.listInstanceUUIDs() where !known.contains(uuid) {
            guard let instance = try await conductor.instanceGet(uuid, context: serviceContext),
                instance.isDeleted || (instance.host != config.host && instance.vmState != .resized)
            else { continue }
            logger.warning("destroying the guest of \(uuid): it was deleted or evacuated while this host was away")
            try? await driver.destroy(instance)
        }
    }
}
