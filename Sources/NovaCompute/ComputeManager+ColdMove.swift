import Foundation
import NovaCore
import NovaVirt

/// The compute side of resize, cold migration, confirm and revert (manager.py prep_resize, resize_instance,
/// finish_resize, confirm_resize, revert_resize, finish_revert_resize). Each step does its host's part and
/// reports to the conductor, which records it with the task and sends the next step.
extension ComputeManager {
    func addMoveMethods(to dispatcher: inout RPCDispatcher) {
        let steps: [(MoveStep, @Sendable (MoveState, MoveTask, RPCContext) async throws -> Void)] = [
            (.prepResize, prepResize), (.resizeInstance, resizeInstance), (.finishResize, finishResize),
            (.confirmResize, confirmResize), (.revertResize, revertResize),
            (.finishRevertResize, finishRevertResize), (.liveMigration, liveMigration),
            (.rebuildInstance, rebuildInstance),
        ]
        for (step, body) in steps {
            dispatcher.on(step.rawValue) { (state: MoveState, context) in
                await runStep(step, state, context, body)
                return RPCVoid()
            }
        }
        addLiveMigrationMethods(to: &dispatcher)
    }

    /// Runs one step; a failure goes to the conductor, which rolls the task back.
    func runStep(
        _ step: MoveStep, _ state: MoveState, _ context: RPCContext,
        _ body: @Sendable (MoveState, MoveTask, RPCContext) async throws -> Void
    ) async {
        guard let task = state.task, task.step == step else { return }
        let eventName = "compute_" + step.rawValue
        await event(state.instance, eventName, context)
        do {
            try await body(state, task, context)
            await event(state.instance, eventName, context, result: "Success")
        } catch let error as NovaError where error.code.status == 409 && error.message.hasPrefix("Task ") {
            // A repeated step the task has already passed: nothing to do.
            logger.info("\(step.rawValue) of \(state.instance.uuid) already done: \(error.message)")
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.error("\(step.rawValue) of \(state.instance.uuid) failed: \(message)")
            await event(state.instance, eventName, context, result: "Error", traceback: message)
            let aborted = error is LiveMigrationAborted
            let failure = MoveFailure(
                taskUUID: task.uuid, step: step, message: aborted ? "Live migration was aborted" : message,
                sourceIntact: step == .liveMigration,
                migrationStatus: step == .liveMigration ? (aborted ? "cancelled" : "failed") : nil)
            do {
                try await conductor.moveFailed(failure, context: context)
            } catch {
                logger.error("could not report the failed \(step.rawValue) of \(state.instance.uuid): \(error)")
            }
        }
    }

    func advance(_ advance: MoveAdvance, _ context: RPCContext) async throws {
        try await conductor.advanceMove(advance, context: context)
    }

    /// Destination: the scheduler already claimed the new size here; check the driver can take it, then
    /// hand over to the source.
    func prepResize(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async throws {
        let driver = try movingDriver()
        let source = state.migration.sourceCompute ?? ""
        if source == config.host, !driver.capabilities.contains(.migrateToSameHost) {
            throw NovaError.badRequest("The \(config.host) hypervisor cannot resize an instance on the same host.")
        }
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .prepResize, nextStep: .resizeInstance, nextHost: source,
                migration: MigrationUpdate(status: "pre-migrating")), context)
    }

    /// Source: stop the guest and make its disk available; the instance is RESIZE (resize_migrating).
    func resizeInstance(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async throws {
        let driver = try movingDriver()
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .resizeInstance, nextStep: .resizeInstance,
                nextHost: config.host, instance: InstanceUpdate(taskState: .resizeMigrating, progress: 20),
                migration: MigrationUpdate(status: "migrating")), context)
        let transfer = try await driver.migrateDiskAndPowerOff(state.instance)
        try await handOverVolumes(state.instance, context: context)
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .resizeInstance, nextStep: .finishResize,
                nextHost: state.migration.destCompute, transfer: transfer,
                instance: InstanceUpdate(taskState: .resizeMigrated, powerState: .shutdown, progress: 60),
                migration: MigrationUpdate(status: "post-migrating")), context)
    }

    /// Destination: create the guest with the new flavor; the instance is VERIFY_RESIZE on this host.
    func finishResize(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async throws {
        let driver = try movingDriver()
        let migration = state.migration
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .finishResize, nextStep: .finishResize, nextHost: config.host,
                instance: InstanceUpdate(taskState: .resizeFinish, progress: 80)), context)
        var instance = state.instance
        instance.flavor = migration.newFlavor
        let powerOn = migration.oldVMState != .stopped
        instance = try await connectVolumes(instance, context: context)
        try await driver.finishMigration(
            instance, transfer: task.transfer ?? MoveTransfer(diskPath: nil), powerOn: powerOn)
        try await completeBlockDevices(instance)
        try await keepingGuestOnlyIfRecorded(instance, driver.revertMigrationAtDestination) {
            // migrate_instance_finish: the ports are bound here before the move is recorded here, and go back
            // to the source when it cannot be.
            do {
                try await bindPorts(instance, to: config.host)
                try await advance(
                    MoveAdvance(
                        taskUUID: task.uuid, expectedStep: .finishResize, nextStep: nil,
                        instance: InstanceUpdate(
                            vmState: .resized, taskState: .some(nil), powerState: powerOn ? .running : .shutdown,
                            host: config.host, node: migration.destNode, progress: 100, flavor: migration.newFlavor),
                        migration: MigrationUpdate(status: "finished")), context)
            } catch {
                if let source = migration.sourceCompute { try? await bindPorts(instance, to: source) }
                throw error
            }
        }
    }

    /// Source, on confirm: remove the kept guest; the instance is back to ACTIVE (or SHUTOFF).
    func confirmResize(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async throws {
        let driver = try movingDriver()
        try await driver.confirmMigration(state.instance)
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .confirmResize, nextStep: nil,
                instance: InstanceUpdate(vmState: state.migration.oldVMState == .stopped ? .stopped : .active),
                migration: MigrationUpdate(status: "confirmed")), context)
    }

    /// Destination, on revert: remove the new guest, then the source brings the old one back.
    func revertResize(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async throws {
        let driver = try movingDriver()
        try await driver.revertMigrationAtDestination(state.instance)
        try await handOverVolumes(state.instance, context: context)
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .revertResize, nextStep: .finishRevertResize,
                nextHost: state.migration.sourceCompute), context)
    }

    /// Source, on revert: the kept guest runs again with the old flavor on this host.
    func finishRevertResize(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async throws {
        let driver = try movingDriver()
        let migration = state.migration
        var instance = state.instance
        instance.flavor = migration.oldFlavor
        let powerOn = migration.oldVMState != .stopped
        try await bindPorts(instance, to: config.host)
        instance = try await connectVolumes(instance, context: context)
        try await driver.finishRevertMigration(instance, powerOn: powerOn)
        try await completeBlockDevices(instance)
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .finishRevertResize, nextStep: nil,
                instance: InstanceUpdate(
                    vmState: powerOn ? .active : .stopped, taskState: .some(nil),
                    powerState: powerOn ? .running : .shutdown, host: config.host, node: migration.sourceNode,
                    flavor: migration.oldFlavor),
                migration: MigrationUpdate(status: "reverted")), context)
    }

    /// Destination of an evacuation: the source host is gone, so the guest is built afresh from its image
    /// here (rebuild_instance with recreate), stopped if it was stopped or the caller asked (2.95).
    func rebuildInstance(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async throws {
        let migration = state.migration
        var instance = state.instance
        instance.host = config.host
        instance.node = migration.destNode
        if await driver.powerState(of: instance) != nil { try await driver.destroy(instance) }
        try await bindPorts(instance, to: config.host)
        instance = try await reattachVolumes(instance, context: context)
        try await driver.spawn(instance)
        try await completeBlockDevices(instance)
        let stopped = task.leaveStopped || migration.oldVMState == .stopped
        try await keepingGuestOnlyIfRecorded(instance, driver.destroy) {
            if stopped { try await driver.powerOff(instance) }
            try await advance(
                MoveAdvance(
                    taskUUID: task.uuid, expectedStep: .rebuildInstance, nextStep: nil,
                    instance: InstanceUpdate(
                        vmState: stopped ? .stopped : .active, taskState: .some(nil),
                        powerState: stopped ? .shutdown : .running, host: config.host, node: migration.destNode,
                        launchedAt: clock.now, progress: 100),
                    migration: MigrationUpdate(status: "done")), context)
        }
    }

    /// A guest built here for a move stays only if the move records it here: when the last report fails (the
    /// task was rolled back meanwhile, the conductor is gone), the guest is removed so it does not leak.
    func keepingGuestOnlyIfRecorded(
        _ instance: Instance, _ remove: (Instance) async throws -> Void, _ record: () async throws -> Void
    ) async throws {
        do {
            try await record()
        } catch {
            // A duplicate of this step may have recorded the guest here already: then it stays.
            let current = try? await conductor.instanceGet(instance.uuid, context: serviceContext)
            if current == nil || current?.isDeleted == true || current?.host != config.host
                || current?.taskState != nil
            {
                try? await remove(instance)
            }
            throw error
        }
    }
}
