import Foundation
import NovaCore
import PlacementCore

/// Single-host operations (power actions, delete, rescue, rebuild, shelve, ...) have no task row of their own:
/// the instance row is their record, written with the task_state in the transaction that starts them, and its
/// `updated_at` moves with every step. An operation whose row has not moved for `move_step_timeout` lost its
/// message or its host: it is sent again while the host is up (`max_retries` times), and otherwise ends
/// cleanly (a delete is finished here, anything else is ERROR with a fault), so nothing stays in a task_state.
extension ConductorManager {
    public func recoverStaleOperations() async {
        let before = clock.now.addingTimeInterval(-moves.stepTimeout)
        guard let stale = try? await store.instancesInTask(updatedBefore: before), !stale.isEmpty,
            let services = try? await store.computeServices()
        else { return }
        let context = RPCContext.service("nova-conductor")
        for instance in stale where instance.vmState != .shelvedOffloaded {
            guard let host = instance.host, let task = instance.taskState,
                (try? await store.moveTask(instanceUUID: instance.uuid)) == nil
            else { continue }
            let up = services.first { $0.host == host }?.isUp(now: clock.now, serviceDownTime: moves.serviceDownTime)
            let operation = InstanceOperation.allCases.first { $0.taskState == task }
            if up == true {
                // Later steps of snapshots, shelve and rebuild run on the host: it reports their end itself.
                guard let operation else { continue }
                let attempts = instance.taskAttempts ?? 0
                if attempts < moves.maxRetries {
                    await resend(operation, instance, attempt: attempts + 1, host: host, context: context)
                    continue
                }
            }
            let reason =
                up == true
                ? "\(operation?.computeMethod ?? task.rawValue) did not finish on \(host) after \(moves.maxRetries + 1) attempts"
                : "\(operation?.computeMethod ?? task.rawValue) could not finish: the compute service of \(host) is down"
            await endStale(instance, task, deleting: operation == .delete, reason: reason)
        }
    }

    func resend(_ operation: InstanceOperation, _ instance: Instance, attempt: Int, host: String, context: RPCContext)
        async
    {
        var bump = InstanceUpdate(expectedTaskStates: [instance.taskState])
        bump.taskAttempts = attempt
        do {
            let current = try await store.updateInstance(uuid: instance.uuid, bump)
            logger.warning("\(operation.computeMethod) of \(instance.uuid) made no progress; sending it again")
            try await compute.perform(operation, on: current, host: host, context: context)
        } catch {
            logger.warning("could not send \(operation.computeMethod) of \(instance.uuid) again: \(error)")
        }
    }

    func endStale(_ instance: Instance, _ task: TaskState, deleting: Bool, reason: String) async {
        do {
            if deleting {
                // Nova's local delete: the guest of a host that comes back is removed by that host.
                for consumer in try await store.destroyInstance(uuid: instance.uuid, at: clock.now) {
                    try await placement.deleteAllocations(consumer: consumer)
                }
            } else {
                _ = try await store.updateInstance(
                    uuid: instance.uuid,
                    InstanceUpdate(
                        expectedTaskStates: [task], vmState: .error, taskState: .some(nil),
                        fault: InstanceFault(code: 500, message: reason, created: clock.now)))
            }
            logger.warning("\(instance.uuid) was stuck in \(task.rawValue): \(reason)")
        } catch {
            logger.warning("could not end the stalled \(task.rawValue) of \(instance.uuid): \(error)")
        }
    }
}
