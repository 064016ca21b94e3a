import Foundation
import NovaCore
import PlacementCore

/// Unshelving an offloaded server (nova/conductor/manager.py unshelve_instance): schedule it like a new
/// build, record the host, and send it there. A server whose unshelve was lost (a conductor that stopped
/// before its host was chosen, a host that never answered) is put back offloaded by the sweep.
extension ConductorManager {
    static let unshelveEvent = "conductor_unshelve_instance"

    func addShelveMethods(to dispatcher: inout RPCDispatcher) {
        dispatcher.on("instance_offload") { (request: InstanceUpdateRequest, _) in
            let instance = try await store.updateInstance(uuid: request.uuid, request.update)
            try await placement.deleteAllocations(consumer: request.uuid)
            return instance
        }
        dispatcher.on("unshelve_instance") { (request: UnshelveRequest, context) in
            await unshelve(request, context: context)
            return RPCVoid()
        }
    }

    public func unshelve(_ request: UnshelveRequest, context: RPCContext) async {
        let uuid = request.instanceUUID
        guard let instance = try? await store.instance(uuid: uuid), instance.vmState == .shelvedOffloaded,
            instance.taskState == .unshelving
        else { return }
        await recordEvent(uuid, Self.unshelveEvent, context, result: nil)
        var spec = RequestSpec(
            instanceUUIDs: [uuid], projectID: instance.projectID, userID: instance.userID, flavor: instance.flavor,
            imageRef: instance.imageRef, availabilityZone: request.availabilityZone ?? instance.pinnedAvailabilityZone,
            forcedHost: request.host, schedulerHints: instance.schedulerHints ?? [:])
        spec.volumeBacked = instance.isVolumeBacked
        let scheduled: Instance
        do {
            let selection = try await scheduler.selectDestinations(spec, context: context)[0]
            do {
                var update = InstanceUpdate(
                    expectedTaskStates: [.unshelving], host: selection.host, node: selection.nodename)
                update.availabilityZone = selection.zone
                scheduled = try await store.updateInstance(uuid: uuid, update)
            } catch {
                try? await placement.deleteAllocations(consumer: uuid)
                throw error
            }
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.warning("unshelve of \(uuid) failed: \(message)")
            _ = try? await store.updateInstance(
                uuid: uuid, InstanceUpdate(expectedTaskStates: [.unshelving], taskState: .some(nil)))
            await recordEvent(uuid, Self.unshelveEvent, context, result: "Error", traceback: message)
            return
        }
        await recordEvent(uuid, Self.unshelveEvent, context, result: "Success")
        guard let host = scheduled.host else { return }
        do {
            try await compute.perform(.unshelve, on: scheduled, host: host, context: context)
        } catch {
            await putBackOffloaded(scheduled, reason: "Compute host \(host) is not reachable: \(error)")
        }
    }

    /// Unshelves that stopped making progress for `move_step_timeout`: back to SHELVED_OFFLOADED with no host
    /// and no allocation, so the user can unshelve again.
    public func recoverStaleUnshelves() async {
        let before = clock.now.addingTimeInterval(-moves.stepTimeout)
        guard let stale = try? await store.instances(in: [.shelvedOffloaded], updatedBefore: before) else { return }
        for instance in stale where instance.taskState == .unshelving {
            await putBackOffloaded(instance, reason: "The unshelve made no progress and was rolled back")
        }
    }

    func putBackOffloaded(_ instance: Instance, reason: String) async {
        var back = InstanceUpdate(expectedTaskStates: [.unshelving], taskState: .some(nil))
        back.clearHost = true
        do {
            _ = try await store.updateInstance(uuid: instance.uuid, back)
            try await placement.deleteAllocations(consumer: instance.uuid)
            logger.warning("unshelve of \(instance.uuid) rolled back: \(reason)")
        } catch {
            logger.warning("could not roll back the unshelve of \(instance.uuid): \(error)")
        }
    }

    func recordEvent(
        _ uuid: String, _ name: String, _ context: RPCContext, result: String?, traceback: String? = nil
    ) async {
        let event = ActionEventReport(
            instanceUUID: uuid, requestID: context.requestID, event: name, host: "conductor", time: clock.now,
            result: result, traceback: traceback)
        do {
            try await store.recordActionEvent(event)
        } catch {
            logger.warning("could not record action event for \(uuid): \(error)")
        }
    }
}
