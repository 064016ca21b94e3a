import Foundation
import NovaCore
import Synchronization

/// The builds this compute process is carrying on now (counted: the same build may arrive twice).
final class BuildsInFlight: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func begin(_ uuid: String) { counts.withLock { $0[uuid, default: 0] += 1 } }

    func end(_ uuid: String) {
        counts.withLock { counts in
            let left = (counts[uuid] ?? 1) - 1
            counts[uuid] = left > 0 ? left : nil
        }
    }

    func contains(_ uuid: String) -> Bool { counts.withLock { $0[uuid] != nil } }
}

extension ComputeManager {
    /// A build whose message to the conductor stayed lost through its resends (the conductor or the bus away
    /// for longer), or that a restart of this host interrupted, stopped half way, in networking or spawning,
    /// and nothing else would finish it. This periodic task (it also runs at start) finds the builds on this
    /// host that no build of this process is carrying on: one whose guest runs is finished (ACTIVE); any other
    /// has its guest removed and goes back to the conductor, which schedules it again under its next build
    /// attempt. Each change is guarded by the task state and attempt it saw, so a build that moved on
    /// meanwhile is left alone.
    public func recoverLostBuilds() async throws {
        for instance in try await conductor.instancesOnHost(config.host, context: serviceContext)
        where instance.vmState == .building && [.networking, .spawning].contains(instance.taskState)
            && !buildsInFlight.contains(instance.uuid)
        {
            await recoverLostBuild(instance)
        }
    }

    func recoverLostBuild(_ instance: Instance) async {
        if instance.taskState == .spawning, await driver.powerState(of: instance) == .running {
            logger.warning("the build of \(instance.uuid) was lost after its guest started; it is ACTIVE now")
            var finish = spawned()
            finish.expectedBuildAttempt = instance.buildAttempt ?? 0
            _ = try? await update(instance.uuid, finish, serviceContext)
            return
        }
        logger.warning(
            "the build of \(instance.uuid) was lost in \(instance.taskState?.rawValue ?? "-"); scheduling it again")
        try? await driver.destroy(instance)
        do {
            try await conductor.scheduleLostBuild(
                RescheduleRequest(
                    instance: instance, alternates: [], failedHost: config.host,
                    reason: "the build stopped in \(instance.taskState?.rawValue ?? "-") (the conductor did not answer)"
                ),
                context: serviceContext)
        } catch {
            logger.warning("could not hand the lost build of \(instance.uuid) back to the conductor: \(error)")
        }
    }
}
