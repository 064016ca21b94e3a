import APISupport
import Foundation
import Hummingbird
import Logging
import NovaCore
import NovaDB

extension ComputeAPI {
    /// vm_states a crash dump may be asked in (Nova's trigger_crash_dump check_instance_state).
    static let crashDumpStates: Set<VMState> = [.active, .paused, .rescued, .resized, .error]

    func registerServerActions(on v21: RouterGroup<NovaRequestContext>) {
        v21.post("servers/{id}/action") { request, context in
            let caller = try context.caller()
            let instance = try await visibleInstance(context.parameter("id"), context)
            let body = try await request.jsonBody(context: context)
            guard let object = body.objectValue, object.entries.count == 1, let (name, argument) = object.entries.first
            else { throw NovaError.badRequest("The action body must be an object with exactly one action key") }
            if let response = try await answeringAction(name, argument, instance, request, context) { return response }
            if let response = try await moveAction(name, argument, instance, context) { return response }
            if let response = try await hostOperationAction(name, argument, instance, request, context) {
                return response
            }
            if let response = try await shelveAction(name, argument, instance, request, context) { return response }
            if let response = try await securityGroupAction(name, argument, instance, context) { return response }
            if let response = try await floatingAction(name, argument, instance, request, context) { return response }
            switch name {
            case "os-start": try await runAction(.start, instance, context)
            case "os-stop": try await runAction(.stop, instance, context)
            case "pause": try await runAction(.pause, instance, context)
            case "unpause": try await runAction(.unpause, instance, context)
            case "suspend": try await runAction(.suspend, instance, context)
            case "resume": try await runAction(.resume, instance, context)
            case "reboot":
                guard let type = argument["type"]?.stringValue?.uppercased(), type == "SOFT" || type == "HARD" else {
                    throw NovaError.badRequest(
                        "Invalid input for field/attribute type. Value must be one of SOFT, HARD")
                }
                try await runAction(type == "HARD" ? .rebootHard : .rebootSoft, instance, context)
            case "lock":
                try PolicyRule.projectMemberOrAdmin.enforce(
                    "os_compute_api:os-lock-server:lock", caller, targetProject: instance.projectID)
                let reason = context.apiVersion >= APIVersion(2, 73) ? argument["locked_reason"]?.stringValue : nil
                if let reason, reason.count > 255 {
                    throw NovaError.badRequest("locked_reason is longer than 255 characters")
                }
                let by = caller.projectID == instance.projectID ? "owner" : "admin"
                try await store.mutateInstance(uuid: instance.uuid, action: actionRecord("lock", instance, context)) {
                    $0.locked = true
                    $0.lockedBy = by
                    $0.lockedReason = reason
                }
            case "unlock":
                try PolicyRule.projectMemberOrAdmin.enforce(
                    "os_compute_api:os-lock-server:unlock", caller, targetProject: instance.projectID)
                if instance.lockedBy == "admin", !caller.isAdmin {
                    throw NovaError.forbidden(
                        "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.")
                }
                try await store.mutateInstance(uuid: instance.uuid, action: actionRecord("unlock", instance, context)) {
                    $0.locked = false
                    $0.lockedBy = nil
                    $0.lockedReason = nil
                }
            case "os-resetState":
                try PolicyRule.admin.enforce("os_compute_api:os-admin-actions:reset_state", caller)
                guard let state = argument["state"]?.stringValue, state == "active" || state == "error" else {
                    throw NovaError.badRequest(
                        "Invalid input for field/attribute state. Value must be one of 'active', 'error'")
                }
                try await store.mutateInstance(uuid: instance.uuid) {
                    $0.vmState = state == "active" ? .active : .error
                    $0.taskState = nil
                }
            case "changePassword":
                try await changePassword(argument, instance, context)
            case "trigger_crash_dump":
                try await triggerCrashDump(argument, instance, context)
            case "injectNetworkInfo":
                // Nova casts this to the host's driver, and the libvirt driver (as ours) has nothing to inject:
                // the guest learns its network from DHCP and the metadata service. Checked as Nova checks it.
                try PolicyRule.admin.enforce("os_compute_api:os-admin-actions:inject_network_info", caller)
                guard instance.host != nil else {
                    throw NovaError.conflict("Instance \(instance.uuid) is not ready: it has no host")
                }
            case _ where Self.removedActions.contains(name):
                throw NovaError(.gone, "This resource is no longer available. No forwarding address is given.")
            default:
                throw NovaError.badRequest("There is no such action: \(name)")
            }
            return Response.empty(status: 202)
        }
    }

    /// changePassword: the guest's administrator gets `adminPass` through the host (a guest agent); the call
    /// waits for the host, as Nova's does, and its refusal is a 409.
    func changePassword(_ argument: JSON, _ instance: Instance, _ context: NovaRequestContext) async throws {
        guard let object = argument.objectValue, object.keys.allSatisfy({ $0 == "adminPass" }),
            let password = object["adminPass"]?.stringValue
        else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute changePassword. 'adminPass' is a required property")
        }
        let caller = try context.caller()
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:os-admin-password", caller, targetProject: instance.projectID)
        let isAdmin = caller.isAdmin
        let ready = try await store.mutateInstance(
            uuid: instance.uuid, action: actionRecord("changePassword", instance, context)
        ) { current in
            try Self.checkChangeable("set_admin_password", current, states: [.active], isAdmin: isAdmin)
            current.taskState = .updatingPassword
        }
        do {
            guard let host = ready.host else { throw NovaError.conflict("Instance \(instance.uuid) has no host") }
            try await compute.setAdminPassword(ready, password: password, host: host, context: context.rpcContext)
        } catch {
            _ = try? await store.updateInstance(
                uuid: instance.uuid, InstanceUpdate(expectedTaskStates: [.updatingPassword], taskState: .some(nil)))
            if let refused = error as? NovaError, refused.code.status == 409 { throw refused }
            throw NovaError.conflict("Failed to set admin password on \(instance.uuid): \(error)")
        }
    }

    /// trigger_crash_dump (2.17): the host sends the guest an NMI; a guest set up for it (kdump) dumps its
    /// memory and reboots.
    func triggerCrashDump(_ argument: JSON, _ instance: Instance, _ context: NovaRequestContext) async throws {
        guard context.apiVersion >= APIVersion(2, 17) else {
            throw NovaError.notFound("The resource could not be found.")
        }
        guard argument == .null else {
            throw NovaError.badRequest("Invalid input for field/attribute trigger_crash_dump. Value must be null")
        }
        let caller = try context.caller()
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:servers:trigger_crash_dump", caller, targetProject: instance.projectID)
        let ready = try await interfaceChange(
            "trigger_crash_dump", instance, context, states: Self.crashDumpStates)
        guard let host = ready.host else {
            throw NovaError.conflict("Instance \(instance.uuid) is not ready: it has no host")
        }
        try await compute.triggerCrashDump(ready, host: host, context: context.rpcContext)
    }

    func actionRecord(_ action: String, _ instance: Instance, _ context: NovaRequestContext) -> InstanceActionRecord {
        InstanceActionRecord(
            requestID: context.requestID, action: action, instanceUUID: instance.uuid,
            userID: context.credentials?.userID ?? "", projectID: context.credentials?.projectID ?? "",
            startTime: clock.now)
    }

    func runAction(_ operation: InstanceOperation, _ instance: Instance, _ context: NovaRequestContext) async throws {
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:servers:\(operation.actionName)", try context.caller(), targetProject: instance.projectID)
        try await startOperation(operation, on: instance, context: context)
    }

    /// Checks lock and state, sets the task_state and records the action in one transaction, then casts the
    /// operation to the instance's host. A delete of an instance with no host (or an unreachable one) is done
    /// here, as Nova's local delete.
    @discardableResult
    func startOperation(
        _ operation: InstanceOperation, on instance: Instance, context: NovaRequestContext,
        prepare: (@Sendable (inout Instance) throws -> Void)? = nil
    ) async throws -> Instance {
        let caller = try context.caller()
        if [.rescue, .rebuild].contains(operation) {
            try Self.refuseVolumeBacked(instance, operation.actionName)
        }
        let record = actionRecord(operation.actionName, instance, context)
        let isAdmin = caller.isAdmin
        let updated = try await store.mutateInstance(uuid: instance.uuid, action: record) { current in
            if current.locked, !isAdmin {
                throw NovaError.conflict("Instance \(current.uuid) is locked")
            }
            try operation.check(
                vmState: current.vmState, taskState: current.taskState, launched: current.launchedAt != nil,
                instanceID: current.uuid)
            current.taskState = operation.taskState
            try prepare?(&current)
        }
        guard let host = updated.host else {
            if operation == .delete || operation == .softDelete { try await localDelete(updated) }
            return updated
        }
        do {
            try await compute.perform(operation, on: updated, host: host, context: context.rpcContext)
        } catch {
            if operation == .delete {
                try await localDelete(updated)
                return updated
            }
            let expected: [TaskState?] = [operation.taskState]
            _ = try? await store.updateInstance(
                uuid: updated.uuid, InstanceUpdate(expectedTaskStates: expected, taskState: .some(nil)))
            throw NovaError.conflict(
                "Compute host \(host) is not available, so '\(operation.actionName)' was not started.")
        }
        return updated
    }

    /// What this cloud does not do yet for a server booted from a volume (Nova snapshots its volumes for an
    /// image, moves it without copying a disk): refused before anything changes.
    static func refuseVolumeBacked(_ instance: Instance, _ action: String) throws {
        guard instance.isVolumeBacked else { return }
        throw NovaError.conflict(
            "Cannot '\(action)' instance \(instance.uuid): it boots from a volume, and this cloud does not '\(action)' such servers yet."
        )
    }

    /// Nova's _local_delete: no host has the server (never scheduled, or shelved and offloaded), so the API
    /// ends it itself: its record, its claims, its volumes and its ports.
    func localDelete(_ instance: Instance) async throws {
        for consumer in try await store.destroyInstance(uuid: instance.uuid, at: clock.now) {
            try await placement.deleteAllocations(consumer: consumer)
        }
        await releaseVolumes(of: instance)
        if let network, instance.networkRequests != nil {
            for problem in await network.deallocatePorts(of: instance) {
                Logger(label: "nova.api").warning("\(problem)")
            }
        }
    }

    /// _local_cleanup_bdm_volumes: a server deleted where no host has it lets its volumes' attachments go and
    /// deletes the volumes marked delete_on_termination.
    func releaseVolumes(of instance: Instance) async {
        guard let volumes else { return }
        for device in instance.blockDevices ?? [] {
            if let attachmentID = device.attachmentID { try? await volumes.deleteAttachment(id: attachmentID) }
            if device.deleteOnTermination, !device.isPending { try? await volumes.deleteVolume(id: device.volumeID) }
        }
    }
}
