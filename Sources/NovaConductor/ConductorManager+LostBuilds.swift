import Foundation
import NovaCore
import PlacementCore

/// Builds lost on their way: a user's boot should not fail because a control-plane process restarted or the
/// bus dropped a message (it delivers at most once). Such a build is scheduled again from the start, as the
/// create request first asked, under a new build attempt (`Instance.buildAttempt`, a fencing token): the
/// attempt moves on in the same write that takes the build back to scheduling, and every later change of
/// the build names its attempt, so a late answer of the earlier attempt (the scheduler's selection, the
/// compute host's first step, a failure report) is refused and changes nothing.
extension ConductorManager {
    /// Builds left in scheduling (with or without a chosen host) that nothing has touched since
    /// `untouchedSince` were lost with a conductor, a message or a restart: each is scheduled again.
    public func recoverInterruptedBuilds(untouchedSince: Date) async throws {
        let candidates = try await store.instances(in: [.building], updatedBefore: untouchedSince)
            .filter { $0.taskState == .scheduling }
        await withTaskGroup(of: Void.self) { group in
            for instance in candidates {
                let reason =
                    instance.host.map { "its build message to compute host \($0) was lost" }
                    ?? "it was lost before a host was chosen"
                group.addTask {
                    await scheduleLostBuild(instance, reason: reason, context: .service("nova-conductor"))
                }
            }
        }
    }

    /// The periodic form: builds left in scheduling for longer than `[conductor] scheduling_timeout`.
    public func recoverStalledBuilds() async {
        try? await recoverInterruptedBuilds(untouchedSince: clock.now.addingTimeInterval(-moves.schedulingTimeout))
    }

    /// Schedules `instance`'s build again under its next attempt, after giving back whatever its last attempt
    /// claimed. The build must still be where `instance` shows it (task state and attempt); if it moved on
    /// meanwhile, nothing happens. After `moves.lostBuildAttempts` attempts it ends in ERROR with a fault.
    public func scheduleLostBuild(_ instance: Instance, reason: String, context: RPCContext) async {
        let current = instance.buildAttempt ?? 0
        let next = current + 1
        guard next <= moves.lostBuildAttempts else {
            let message =
                "The build was lost \(next) times (last: \(reason)); delete and create the server again."
            if await failBuild(
                instance.uuid, attempt: current, from: [instance.taskState], message: message, context: context)
            {
                try? await placement.deleteAllocations(consumer: instance.uuid)
            }
            return
        }
        var update = InstanceUpdate(expectedTaskStates: [instance.taskState], taskState: .scheduling)
        update.expectedBuildAttempt = current
        update.buildAttempt = next
        update.clearHost = true
        guard let moved = try? await store.updateInstance(uuid: instance.uuid, update) else { return }
        logger.warning(
            "the build of \(instance.uuid) was lost (\(reason)); scheduling it again, attempt \(next + 1)",
            metadata: ["nova.instance.uuid": "\(instance.uuid)"])
        do {
            try await placement.deleteAllocations(consumer: instance.uuid)
        } catch {
            // Placement away: the build stays in scheduling with its new attempt and the sweep comes back to it.
            logger.warning("could not give back the claim of \(instance.uuid) before scheduling it again: \(error)")
            return
        }
        await buildInstances(RequestSpec(rebuilding: moved), context: context)
    }
}
