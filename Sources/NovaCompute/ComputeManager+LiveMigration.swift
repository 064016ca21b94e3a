import Foundation
import NovaCore
import NovaVirt

/// The compute side of a live migration (manager.py live_migration, pre_live_migration,
/// post_live_migration_at_destination, rollback_live_migration_at_destination, live_migration_abort,
/// live_migration_force_complete).
extension ComputeManager {
    func addLiveMigrationMethods(to dispatcher: inout RPCDispatcher) {
        dispatcher.on("pre_live_migration") { (request: LiveMigrationRequest, _) in
            let arriving = try await connectVolumesForLiveMigration(request.instance)
            do {
                var target = try await movingDriver().preLiveMigration(
                    arriving, blockMigration: request.blockMigration)
                if !(arriving.blockDevices ?? []).isEmpty { target.blockDevices = arriving.blockDevices }
                return target
            } catch {
                await dropArrivingVolumes(arriving, keeping: request.instance)
                throw error
            }
        }
        dispatcher.on("post_live_migration_at_destination") { (request: LiveMigrationRequest, _) in
            try await movingDriver().postLiveMigrationAtDestination(request.instance)
            return RPCVoid()
        }
        dispatcher.on("rollback_live_migration_at_destination") { (request: LiveMigrationRequest, _) in
            try await movingDriver().rollbackLiveMigrationAtDestination(request.instance)
            return RPCVoid()
        }
        dispatcher.on("live_migration_abort") { (request: InstanceRequest, _) in
            try await movingDriver().abortLiveMigration(request.instance)
            return RPCVoid()
        }
        dispatcher.on("live_migration_force_complete") { (request: InstanceRequest, _) in
            try await movingDriver().forceCompleteLiveMigration(request.instance)
            return RPCVoid()
        }
    }

    func movingDriver() throws -> any MovingVirtDriver {
        guard let driver = driver as? any MovingVirtDriver else {
            throw NovaError.badRequest("The \(config.host) hypervisor driver cannot move instances.")
        }
        return driver
    }

    /// Source: the destination prepares, the guest is sent while it runs, the destination takes charge and
    /// the instance is recorded there. Any failure before the guest arrived leaves it running here.
    func liveMigration(_ state: MoveState, _ task: MoveTask, _ context: RPCContext) async throws {
        let driver = try movingDriver()
        guard let destination = state.migration.destCompute else {
            throw NovaError.internalError("Live migration of \(state.instance.uuid) has no destination")
        }
        let request = LiveMigrationRequest(
            instance: state.instance, blockMigration: task.blockMigration, sourceHost: config.host)
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .liveMigration, nextStep: .liveMigration, nextHost: config.host,
                migration: MigrationUpdate(status: "preparing")), context)
        let bindings = try await prepareDestinationBindings(state.instance, destination: destination)
        var arrived = state.instance
        do {
            let target = try await compute.preLiveMigration(request, host: destination, context: context)
            if let devices = target.blockDevices { arrived.blockDevices = devices }
            try await advance(
                MoveAdvance(
                    taskUUID: task.uuid, expectedStep: .liveMigration, nextStep: .liveMigration,
                    nextHost: config.host, migration: MigrationUpdate(status: "running")), context)
            let reporter = ProgressReporter(manager: self, taskUUID: task.uuid, context: context)
            try await driver.liveMigrate(
                state.instance, to: target, blockMigration: task.blockMigration,
                progress: { await reporter.report($0) })
        } catch {
            try? await compute.rollbackLiveMigrationAtDestination(request, host: destination, context: context)
            await dropArrivingVolumes(arrived, keeping: state.instance)
            await dropDestinationBindings(bindings, destination: destination)
            throw error
        }
        do {
            try await activateDestinationBindings(bindings, destination: destination, source: config.host)
        } catch {
            // The guest runs on the destination now: its ports follow it there, however.
            logger.warning("the destination bindings of \(state.instance.uuid) could not be activated: \(error)")
            try? await bindPorts(state.instance, to: destination)
        }
        try await compute.postLiveMigrationAtDestination(request, host: destination, context: context)
        try? await driver.cleanupAfterLiveMigration(state.instance)
        do {
            try await finishVolumeMove(from: state.instance, to: arrived, context: context)
        } catch {
            logger.warning(
                "the volumes of \(state.instance.uuid) could not all be recorded at \(destination): \(error)")
        }
        try await advance(
            MoveAdvance(
                taskUUID: task.uuid, expectedStep: .liveMigration, nextStep: nil,
                instance: InstanceUpdate(
                    taskState: .some(nil), powerState: state.instance.powerState, host: destination,
                    node: state.migration.destNode, progress: 100),
                migration: MigrationUpdate(status: "completed")), context)
    }
}

/// Records a live migration's progress in its migration record, at most once a second.
actor ProgressReporter {
    let manager: ComputeManager
    let taskUUID: String
    let context: RPCContext
    var last = ContinuousClock.now - .seconds(10)

    init(manager: ComputeManager, taskUUID: String, context: RPCContext) {
        self.manager = manager
        self.taskUUID = taskUUID
        self.context = context
    }

    func report(_ progress: LiveMigrationProgress) async {
        let now = ContinuousClock.now
        guard now - last >= .seconds(1) || progress.memoryRemaining == 0 else { return }
        last = now
        let percent = progress.memoryTotal > 0 ? progress.memoryProcessed * 100 / progress.memoryTotal : 0
        try? await manager.advance(
            MoveAdvance(
                taskUUID: taskUUID, expectedStep: .liveMigration, nextStep: .liveMigration,
                nextHost: manager.config.host, instance: InstanceUpdate(progress: percent),
                migration: MigrationUpdate(
                    memoryTotal: progress.memoryTotal, memoryProcessed: progress.memoryProcessed,
                    memoryRemaining: progress.memoryRemaining)), context)
    }
}
