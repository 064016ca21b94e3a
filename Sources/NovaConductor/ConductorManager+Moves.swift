import Foundation
import NovaCore
import PlacementCore

/// Move tasks (nova/conductor/tasks/migrate.py, live_migrate.py): the conductor runs the scheduling step,
/// records every step a compute host reports together with its state changes, sends the next step, and rolls
/// back a task that failed or whose deadline passed. Placement follows Nova: while a move runs the migration
/// holds the source allocation and the instance the destination's.
extension ConductorManager {
    static let migrationConsumerType = "MIGRATION"

    func addMoveMethods(to dispatcher: inout RPCDispatcher) {
        dispatcher.on("move_start") { (request: TaskRequest, context) in
            if let state = try await store.moveState(taskUUID: request.taskUUID) { await dispatch(state, context) }
            return RPCVoid()
        }
        dispatcher.on("move_advance") { (advance: MoveAdvance, context) in
            try await advanceMove(advance, context: context)
        }
        dispatcher.on("move_failed") { (failure: MoveFailure, context) in
            await rollbackMove(
                failure.taskUUID, at: failure.step, reason: failure.message, sourceIntact: failure.sourceIntact,
                status: failure.migrationStatus, context: context)
            return RPCVoid()
        }
        dispatcher.on("instance_get") { (request: UUIDRequest, _) in
            try await store.instance(uuid: request.uuid)
        }
        dispatcher.on("instance_has_move") { (request: UUIDRequest, _) in
            try await store.moveTask(instanceUUID: request.uuid) != nil
        }
        dispatcher.on("move_resume_host") { (request: HostRequest, context) in
            for task in try await store.moveTasks(dueBefore: nil) where task.host == request.host {
                if let state = try await store.moveState(taskUUID: task.uuid) { await dispatch(state, context) }
            }
            return RPCVoid()
        }
    }

    func deadline(_ step: MoveStep) -> Date { clock.now.addingTimeInterval(moves.timeout(for: step)) }

    /// Records a step's outcome and sends the task on; a finished task settles Placement.
    public func advanceMove(_ advance: MoveAdvance, context: RPCContext) async throws -> MoveState {
        let state = try await store.advanceMove(
            advance, deadline: deadline(advance.nextStep ?? advance.expectedStep), at: clock.now)
        if state.task == nil {
            await settleAllocations(state.migration, instance: state.instance)
        } else if advance.nextStep != advance.expectedStep {
            await dispatch(state, context)
        }
        return state
    }

    /// Sends the task's current step to whoever carries it out. A lost message is found by the sweep.
    func dispatch(_ state: MoveState, _ context: RPCContext) async {
        guard let task = state.task else { return }
        if task.step == .schedule {
            await schedule(state, task, context)
            return
        }
        guard let host = task.host else { return }
        do {
            try await compute.runMoveStep(state, host: host, context: context)
        } catch {
            logger.warning("could not send \(task.step.rawValue) of \(task.instanceUUID) to \(host): \(error)")
        }
    }

    /// The scheduling step: the migration takes over the source allocation, the scheduler picks and claims a
    /// destination for the instance; no host rolls the task back with the instance as it was.
    func schedule(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async {
        let instance = state.instance
        let migration = state.migration
        let live = task.operation == .liveMigrate
        let evacuate = task.operation == .evacuate
        do {
            try await placement.moveAllocations(
                from: instance.uuid, to: migration.uuid, targetType: Self.migrationConsumerType)
            var spec = RequestSpec(
                instanceUUIDs: [instance.uuid], projectID: instance.projectID, userID: instance.userID,
                flavor: migration.newFlavor, imageRef: instance.imageRef,
                availabilityZone: instance.pinnedAvailabilityZone,
                forcedHost: task.requestedHost, schedulerHints: instance.schedulerHints ?? [:])
            spec.volumeBacked = instance.isVolumeBacked
            spec.bypass = task.forceHost == true ? .scheduler : nil
            // allow_resize_to_same_host is for resizes only: a cold migration always leaves its host (Nova's
            // _allow_resize_to_same_host, short of a driver with COMPUTE_SAME_HOST_COLD_MIGRATE).
            let coldMigration = migration.migrationType == .migration
            if live || evacuate || coldMigration || !moves.allowResizeToSameHost, let source = migration.sourceCompute {
                spec.ignoreHosts = [source]
            }
            let selection = try await scheduler.selectDestinations(spec, context: context)[0]
            let next = try await advanceMove(
                MoveAdvance(
                    taskUUID: task.uuid, expectedStep: .schedule,
                    nextStep: live ? .liveMigration : evacuate ? .rebuildInstance : .prepResize,
                    nextHost: live ? migration.sourceCompute : selection.host,
                    migration: MigrationUpdate(
                        status: live ? "queued" : "pre-migrating", destCompute: selection.host,
                        destNode: selection.nodename, destHost: selection.host)),
                context: context)
            _ = next
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.warning("scheduling \(task.operation.rawValue) of \(instance.uuid) failed: \(message)")
            let what = live ? "live migration" : evacuate ? "evacuate" : "cold migrate/resize"
            await rollbackMove(
                task.uuid, at: .schedule, reason: "No valid host found for \(what): \(message)", sourceIntact: true,
                status: "error", context: context)
        }
    }

    /// A finished task's effect on Placement, by how the migration ended.
    func settleAllocations(_ migration: Migration, instance: Instance) async {
        do {
            switch migration.status {
            case "confirmed", "completed", "done":
                try await placement.deleteAllocations(consumer: migration.uuid)
            case "reverted":
                try await placement.moveAllocations(from: migration.uuid, to: instance.uuid, targetType: "INSTANCE")
            default:
                break
            }
        } catch {
            logger.error("could not settle the allocations of migration \(migration.uuid): \(error)")
        }
    }

    /// Ends a task that failed at `step`: Placement back to the source (or to the destination the instance
    /// already lives on), the instance back to where it was, or ERROR with a fault when its source guest may
    /// no longer be whole; the migration gets its final status.
    public func rollbackMove(
        _ taskUUID: String, at step: MoveStep, reason: String, sourceIntact: Bool, status: String?,
        context: RPCContext
    ) async {
        guard let state = try? await store.moveState(taskUUID: taskUUID), let task = state.task, task.step == step
        else { return }
        let migration = state.migration
        let instance = state.instance
        let fault = InstanceFault(code: 500, message: reason, created: clock.now)
        var update: InstanceUpdate
        var finalStatus = status ?? "error"
        do {
            switch task.operation {
            case .resize, .migrate, .liveMigrate:
                try await placement.moveAllocations(from: migration.uuid, to: instance.uuid, targetType: "INSTANCE")
                let whole = sourceIntact || !step.sourceTouched
                update = InstanceUpdate(
                    vmState: whole ? migration.oldVMState : .error, taskState: .some(nil),
                    host: migration.sourceCompute, node: migration.sourceNode, progress: 0,
                    fault: whole ? nil : fault, flavor: migration.oldFlavor)
            case .evacuate:
                // The source host is down: the server stays recorded there; a failed rebuild is ERROR.
                try await placement.moveAllocations(from: migration.uuid, to: instance.uuid, targetType: "INSTANCE")
                let whole = step == .schedule
                update = InstanceUpdate(
                    vmState: whole ? migration.oldVMState : .error, taskState: .some(nil),
                    host: migration.sourceCompute, node: migration.sourceNode, fault: whole ? nil : fault)
            case .confirmResize:
                try await placement.deleteAllocations(consumer: migration.uuid)
                update = InstanceUpdate(vmState: .error, taskState: .some(nil), fault: fault)
            case .revertResize where step == .revertResize:
                // The destination did not revert: the resize stays to be confirmed or reverted again.
                update = InstanceUpdate(vmState: .resized, taskState: .some(nil))
                finalStatus = "finished"
            case .revertResize:
                try await placement.moveAllocations(from: migration.uuid, to: instance.uuid, targetType: "INSTANCE")
                update = InstanceUpdate(
                    vmState: .error, taskState: .some(nil), host: migration.sourceCompute,
                    node: migration.sourceNode, fault: fault, flavor: migration.oldFlavor)
            }
            _ = try await store.advanceMove(
                MoveAdvance(
                    taskUUID: task.uuid, expectedStep: step, nextStep: nil, instance: update,
                    migration: MigrationUpdate(status: finalStatus)),
                deadline: clock.now, at: clock.now)
            logger.warning(
                "\(task.operation.rawValue) of \(instance.uuid) rolled back at \(step.rawValue): \(reason)")
        } catch {
            logger.error("could not roll back \(task.operation.rawValue) of \(instance.uuid): \(error)")
        }
        let event = ActionEventReport(
            instanceUUID: instance.uuid, requestID: task.requestID, event: "conductor_\(task.operation.rawValue)",
            host: "conductor", time: clock.now, result: "Error", traceback: reason)
        try? await store.recordActionEvent(event)
    }

    /// Nova's _poll_unconfirmed_resizes: a resize or cold migration left unconfirmed for
    /// `resize_confirm_window` seconds is confirmed.
    public func confirmOverdueResizes() async {
        guard moves.resizeConfirmWindow > 0,
            let due = try? await store.migrations(
                status: "finished", updatedBefore: clock.now.addingTimeInterval(-moves.resizeConfirmWindow))
        else { return }
        let context = RPCContext.service("nova-conductor")
        for migration in due where migration.migrationType == .resize || migration.migrationType == .migration {
            let requestID = "req-" + UUID().uuidString.lowercased()
            let task = MoveTask(
                uuid: UUID().uuidString.lowercased(), instanceUUID: migration.instanceUUID,
                migrationUUID: migration.uuid, operation: .confirmResize, host: migration.sourceCompute,
                deadline: deadline(.confirmResize), requestID: requestID, createdAt: clock.now)
            let action = InstanceActionRecord(
                requestID: requestID, action: MoveOperation.confirmResize.actionName,
                instanceUUID: migration.instanceUUID, userID: migration.userID, projectID: migration.projectID,
                startTime: clock.now)
            do {
                let state = try await store.startMove(
                    instanceUUID: migration.instanceUUID, task: task, action: action,
                    migration: { [now = clock.now] _ in
                        var confirming = migration
                        confirming.status = "confirming"
                        confirming.updatedAt = now
                        return confirming
                    },
                    check: { instance in
                        guard instance.vmState == .resized, instance.taskState == nil else {
                            throw NovaError.conflict("Instance \(instance.uuid) is no longer awaiting confirmation")
                        }
                    })
                logger.info("confirming the resize of \(migration.instanceUUID) (resize_confirm_window passed)")
                await dispatch(state, context)
            } catch {
                logger.warning("could not confirm the resize of \(migration.instanceUUID): \(error)")
            }
        }
    }

    /// The task sweep: a step whose deadline passed is sent again (a lost message, a restarted host) up to
    /// `maxRetries` times, then rolled back. With `all` (after the conductor restarted), every unfinished step
    /// of the conductor's own is taken up at once; compute hosts ask for theirs when they start.
    public func sweepMoves(all: Bool = false) async {
        guard let due = try? await store.moveTasks(dueBefore: all ? nil : clock.now) else { return }
        let context = RPCContext.service("nova-conductor")
        for task in due where !all || task.host == nil {
            if task.step == .liveMigration, let host = task.host,
                let state = try? await store.moveState(taskUUID: task.uuid)
            {
                // A live migration cannot be started twice: stop the one that may still run; its source reports.
                do {
                    try await compute.liveMigrationControl(
                        "live_migration_abort", state.instance, host: host, context: context)
                    continue
                } catch let error as NovaError where error.code.status == 400 {
                    // Not running there: the step never started or its host restarted; fall through.
                } catch {
                    await rollbackMove(
                        task.uuid, at: task.step,
                        reason: "Live migration from \(host) did not finish and the host does not answer",
                        sourceIntact: false, status: "error", context: context)
                    continue
                }
            }
            if task.attempts < moves.maxRetries {
                logger.warning("sending \(task.step.rawValue) of \(task.instanceUUID) again (deadline passed)")
                if let state = try? await store.retryMove(
                    taskUUID: task.uuid, step: task.step, deadline: deadline(task.step))
                {
                    await dispatch(state, context)
                }
                continue
            }
            let seconds = Int(moves.timeout(for: task.step))
            await rollbackMove(
                task.uuid, at: task.step,
                reason:
                    "Step \(task.step.rawValue) of \(task.operation.rawValue) did not finish on \(task.host ?? "the conductor") within \(seconds) s (\(task.attempts + 1) attempts)",
                sourceIntact: false, status: "error", context: context)
        }
    }

    /// `[compute] auto_evacuate`: the instances of a compute service that has been down longer than
    /// `service_down_time` are evacuated (rebuilt on other hosts), once; an evacuation that failed from that
    /// host is not tried again by itself.
    public func evacuateDownHosts() async {
        guard moves.autoEvacuate, let services = try? await store.computeServices() else { return }
        let context = RPCContext.service("nova-conductor")
        for service in services where !service.isUp(now: clock.now, serviceDownTime: moves.serviceDownTime) {
            guard let instances = try? await store.instances(onHost: service.host) else { continue }
            for instance in instances
            where [.active, .stopped, .error].contains(instance.vmState) && instance.taskState == nil {
                let earlier = (try? await store.migrations(instanceUUID: instance.uuid)) ?? []
                if earlier.contains(where: {
                    $0.migrationType == .evacuation && $0.sourceCompute == service.host
                        && ["error", "failed"].contains($0.status)
                }) {
                    continue
                }
                await startEvacuation(instance, from: service.host, context: context)
            }
        }
    }

    func startEvacuation(_ instance: Instance, from host: String, context: RPCContext) async {
        let requestID = "req-" + UUID().uuidString.lowercased()
        let task = MoveTask(
            uuid: UUID().uuidString.lowercased(), instanceUUID: instance.uuid, migrationUUID: "",
            operation: .evacuate, host: nil, deadline: deadline(.schedule), requestID: requestID, createdAt: clock.now)
        let action = InstanceActionRecord(
            requestID: requestID, action: MoveOperation.evacuate.actionName, instanceUUID: instance.uuid,
            userID: instance.userID, projectID: instance.projectID, startTime: clock.now)
        do {
            let state = try await store.startMove(
                instanceUUID: instance.uuid, task: task, action: action,
                migration: { [now = clock.now] current in
                    Migration(
                        uuid: UUID().uuidString.lowercased(), instance: current, type: .evacuation,
                        status: "accepted", newFlavor: current.flavor, createdAt: now)
                },
                check: { current in
                    guard current.host == host, current.taskState == nil else {
                        throw NovaError.conflict("Instance \(current.uuid) is busy or moved")
                    }
                    current.taskState = .rebuilding
                })
            logger.warning("compute host \(host) is down: evacuating \(instance.uuid)")
            await dispatch(state, context)
        } catch {
            logger.warning("could not evacuate \(instance.uuid) from \(host): \(error)")
        }
    }

    /// Nova's _reclaim_queued_deletes: soft-deleted servers older than `reclaim_instance_interval` are deleted.
    public func reclaimSoftDeleted() async {
        guard moves.reclaimInstanceInterval > 0,
            let due = try? await store.instances(
                in: [.softDeleted], updatedBefore: clock.now.addingTimeInterval(-moves.reclaimInstanceInterval))
        else { return }
        let context = RPCContext.service("nova-conductor")
        for instance in due where instance.taskState == nil {
            do {
                let deleting = try await store.updateInstance(
                    uuid: instance.uuid, InstanceUpdate(expectedTaskStates: [nil], taskState: .deleting))
                if let host = deleting.host {
                    try await compute.perform(.delete, on: deleting, host: host, context: context)
                } else {
                    for consumer in try await store.destroyInstance(uuid: instance.uuid, at: clock.now) {
                        try await placement.deleteAllocations(consumer: consumer)
                    }
                }
                logger.info("reclaiming soft-deleted \(instance.uuid)")
            } catch {
                logger.warning("could not reclaim \(instance.uuid): \(error)")
            }
        }
    }
}
