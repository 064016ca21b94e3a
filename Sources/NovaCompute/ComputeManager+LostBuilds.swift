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
    /// for longer) gives up half way, in networking or spawning, and nothing else would finish it. This
    /// periodic task finds the builds on this host that no build of this process is carrying on: one whose
    /// guest runs is finished (ACTIVE); any other ends in ERROR with a fault, its guest and its claim gone.
    /// Each change is guarded by the task state it saw, so a build that moved on meanwhile is left alone.
    public func recoverLostBuilds() async throws {
        for instance in try await conductor.instancesOnHost(config.host, context: serviceContext)
        where instance.vmState == .building && [.networking, .spawning].contains(instance.taskState)
            && !buildsInFlight.contains(instance.uuid)
        {
            await recoverLostBuild(instance)
        }
    }

    private func recoverLostBuild(_ instance: Instance) async {
        if instance.taskState == .spawning, await driver.powerState(of: instance) == .running {
            logger.warning("the build of \(instance.uuid) was lost after its guest started; it is ACTIVE now")
            _ = try? await update(instance.uuid, spawned(), serviceContext)
            return
        }
        let message =
            "The build on compute host \(config.host) was lost (the conductor did not answer); delete and create the server again."
        logger.warning(
            "the build of \(instance.uuid) was lost in \(instance.taskState?.rawValue ?? "-"); marking it ERROR")
        let fault = InstanceFault(code: 500, message: message, created: clock.now)
        guard
            (try? await update(
                instance.uuid,
                InstanceUpdate(
                    expectedTaskStates: [instance.taskState], vmState: .error, taskState: .some(nil), fault: fault),
                serviceContext)) != nil
        else { return }
        try? await driver.destroy(instance)
        try? await placement.deleteAllocations(consumer: instance.uuid)
    }
}
