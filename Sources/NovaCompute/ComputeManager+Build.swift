import Foundation
import NovaCore

extension ComputeManager {
    static let buildEvent = "compute__do_build_and_run_instance"

    /// _do_build_and_run_instance: networking -> spawning -> ACTIVE, or ERROR with a fault.
    func buildAndRunInstance(_ instance: Instance, context: RPCContext) async {
        await event(instance, Self.buildEvent, context)
        do {
            try await update(
                instance.uuid, InstanceUpdate(expectedTaskStates: [.scheduling], taskState: .networking), context)
            if instance.requestedNetworks != "none" {
                try await conductor.allocateNetwork(instance.uuid, context: context)
            }
            try await update(
                instance.uuid, InstanceUpdate(expectedTaskStates: [.networking], taskState: .spawning), context)
        } catch {
            // Deleted meanwhile: the delete path cleans up.
            await event(instance, Self.buildEvent, context, result: "Error", traceback: "\(error)")
            return
        }
        do {
            try await driver.spawn(instance)
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.error("spawn of \(instance.uuid) failed: \(message)")
            let fault = InstanceFault(
                code: 500, message: "Build of instance \(instance.uuid) aborted: \(message)", created: clock.now)
            _ = try? await update(
                instance.uuid,
                InstanceUpdate(expectedTaskStates: [.spawning], vmState: .error, taskState: .some(nil), fault: fault),
                context)
            await event(instance, Self.buildEvent, context, result: "Error", traceback: message)
            return
        }
        do {
            try await update(
                instance.uuid,
                InstanceUpdate(
                    expectedTaskStates: [.spawning], vmState: .active, taskState: .some(nil), powerState: .running,
                    launchedAt: clock.now, progress: 100),
                context)
            await event(instance, Self.buildEvent, context, result: "Success")
        } catch {
            await event(instance, Self.buildEvent, context, result: "Error", traceback: "\(error)")
        }
    }
}
