import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// resize, confirmResize, revertResize, migrate and os-migrateLive (servers.py, migrate_server.py): each checks
/// policy, lock and state, then writes the task_state, the migration, the task row and the instance action in
/// one transaction, and tells the conductor to run the task.
extension ComputeAPI {
    func moveAction(_ name: String, _ argument: JSON, _ instance: Instance, _ context: NovaRequestContext)
        async throws -> Response?
    {
        let caller = try context.caller()
        switch name {
        case "resize":
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:servers:resize", caller, targetProject: instance.projectID)
            guard let ref = argument["flavorRef"], ref != .null else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute resize. 'flavorRef' is a required property")
            }
            let flavor = try await requestedFlavor(ref, context)
            if flavor.id == instance.flavor.id {
                throw NovaError.badRequest("When resizing, instances must change flavor!")
            }
            // A volume-backed server has no root disk of the flavor's size to shrink (Nova checks only the others).
            if !instance.isVolumeBacked, flavor.rootGB < instance.flavor.rootGB {
                throw NovaError.badRequest(
                    "Resize error: Unable to resize disk down.")
            }
            // What the bigger flavor adds must fit the project's quota, checked at the API as Nova does.
            let limits = try await store.quotaLimits(projectID: instance.projectID)
            let usage = try await store.quotaUsage(projectID: instance.projectID)
            let growth = Resources(
                vcpus: max(0, flavor.vcpus - instance.flavor.vcpus),
                memoryMB: max(0, flavor.memoryMB - instance.flavor.memoryMB), diskGB: 0)
            try limits.check(usage: usage.resources, instances: usage.instances - 1, adding: growth, count: 1)
            // And the user's own limits, where set.
            if !(try await store.userQuotas(projectID: instance.projectID, userID: instance.userID)).isEmpty {
                let userLimits = try await store.quotaLimits(projectID: instance.projectID, userID: instance.userID)
                let used = try await store.quotaUsage(projectID: instance.projectID, userID: instance.userID)
                try userLimits.check(usage: used.resources, instances: used.instances - 1, adding: growth, count: 1)
            }
            if let autoDiskConfig = try Self.diskConfig(argument.objectValue ?? [:]) {
                try await store.mutateInstance(uuid: instance.uuid) { $0.autoDiskConfig = autoDiskConfig }
            }
            try await beginColdMove(.resize, instance, newFlavor: flavor, host: nil, context)
        case "migrate":
            try PolicyRule.projectManagerOrAdmin.enforce(
                "os_compute_api:os-migrate-server:migrate", caller, targetProject: instance.projectID)
            var host: String?
            if context.apiVersion >= APIVersion(2, 56), let value = argument["host"], value != .null {
                guard let text = value.stringValue, !text.isEmpty else {
                    throw NovaError.badRequest("Invalid input for field/attribute host.")
                }
                try PolicyRule.admin.enforce("os_compute_api:os-migrate-server:migrate:host", caller)
                host = try await existingComputeHost(text, instance)
            }
            try await beginColdMove(.migrate, instance, newFlavor: instance.flavor, host: host, context)
        case "os-migrateLive":
            try await beginLiveMigration(argument, instance, context)
        case "evacuate":
            return try await evacuate(argument, instance, context)
        case "confirmResize", "revertResize":
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:servers:\(name == "confirmResize" ? "confirm" : "revert")_resize", caller,
                targetProject: instance.projectID)
            try await finishResize(confirm: name == "confirmResize", instance, context)
            return name == "confirmResize" ? Response.empty(status: 204) : Response.empty(status: 202)
        default:
            return nil
        }
        return Response.empty(status: 202)
    }

    /// The compute host named in a move request: it must exist and differ from the instance's.
    func existingComputeHost(_ host: String, _ instance: Instance) async throws -> String {
        guard try await !store.services(host: host, binary: "nova-compute").isEmpty else {
            throw NovaError.badRequest("Compute host \(host) could not be found.")
        }
        if host == instance.host {
            throw NovaError.badRequest(
                "Unable to migrate instance (\(instance.uuid)) to current host (\(host)).")
        }
        return host
    }

    func beginColdMove(
        _ operation: MoveOperation, _ instance: Instance, newFlavor: Flavor, host: String?,
        _ context: NovaRequestContext
    ) async throws {
        try await beginMove(
            operation, instance, context, allowed: [.active, .stopped], taskState: .resizePrep,
            requestedHost: host
        ) { current in
            Migration(
                uuid: UUID().uuidString.lowercased(), instance: current,
                type: operation == .resize ? .resize : .migration, status: "pre-migrating", newFlavor: newFlavor,
                createdAt: clock.now)
        }
    }

    func beginLiveMigration(_ argument: JSON, _ instance: Instance, _ context: NovaRequestContext) async throws {
        let caller = try context.caller()
        try PolicyRule.projectManagerOrAdmin.enforce(
            "os_compute_api:os-migrate-server:migrate_live", caller, targetProject: instance.projectID)
        guard let fields = argument.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute os-migrateLive. Value must be an object")
        }
        // Nova's schemas: disk_over_commit until 2.25 (required, a boolean), force from 2.30 until 2.68.
        let version = context.apiVersion
        var allowed: Set<String> = ["host", "block_migration"]
        if version < APIVersion(2, 25) { allowed.insert("disk_over_commit") }
        if version >= APIVersion(2, 30), version < APIVersion(2, 68) { allowed.insert("force") }
        try Self.checkFields(fields, "os-migrateLive", allowed: allowed)
        if version < APIVersion(2, 25) {
            guard fields["disk_over_commit"] != nil else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute os-migrateLive. 'disk_over_commit' is a required property")
            }
            _ = try CheckedInput.boolean(fields["disk_over_commit"], field: "disk_over_commit")
        }
        let force = try CheckedInput.boolean(fields["force"], field: "force") ?? false
        if force, fields["host"] == nil || fields["host"] == .null {
            throw NovaError.badRequest("Can't force to a non-provided destination")
        }
        let auto = context.apiVersion >= APIVersion(2, 25)
        let block: Bool
        switch argument["block_migration"] {
        case .bool(let value)?: block = value
        // auto: a block migration, unless the server has no local disk (it boots from a volume).
        case .string(let text)? where auto && text == "auto": block = !instance.isVolumeBacked
        case .string(let text)? where ["true", "false"].contains(text.lowercased()): block = text.lowercased() == "true"
        default:
            throw NovaError.badRequest(
                "Invalid input for field/attribute block_migration. Value must be a boolean\(auto ? " or 'auto'" : "")")
        }
        if block, instance.isVolumeBacked {
            throw NovaError.badRequest(
                "Migration pre-check error: Block migration can not be used with shared storage (the server boots from a volume)."
            )
        }
        var host: String?
        if let value = argument["host"], value != .null {
            guard let text = value.stringValue, !text.isEmpty else {
                throw NovaError.badRequest("Invalid input for field/attribute host.")
            }
            try PolicyRule.admin.enforce("os_compute_api:os-migrate-server:migrate_live:host", caller)
            host = try await existingComputeHost(text, instance)
        } else if context.apiVersion < APIVersion(2, 25) && argument["host"] == nil {
            throw NovaError.badRequest(
                "Invalid input for field/attribute os-migrateLive. 'host' is a required property")
        }
        try await beginMove(
            .liveMigrate, instance, context, allowed: [.active, .paused], taskState: .migrating, requestedHost: host,
            blockMigration: block, forceHost: force
        ) { current in
            Migration(
                uuid: UUID().uuidString.lowercased(), instance: current, type: .liveMigration, status: "accepted",
                newFlavor: current.flavor, createdAt: clock.now)
        }
    }

    /// 400 for a field the action's schema at this microversion does not have.
    static func checkFields(_ fields: JSONObject, _ action: String, allowed: Set<String>) throws {
        if let unknown = fields.keys.first(where: { !allowed.contains($0) }) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute \(action). Additional properties are not allowed ('\(unknown)' was unexpected)"
            )
        }
    }

    /// evacuate (admin): rebuild the server on another host because its own is down (evacuate.py).
    func evacuate(_ argument: JSON, _ instance: Instance, _ context: NovaRequestContext) async throws -> Response {
        try PolicyRule.admin.enforce("os_compute_api:os-evacuate", try context.caller())
        guard let fields = argument.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute evacuate. Value must be an object")
        }
        // Nova's schemas: onSharedStorage until 2.14, force from 2.29 until 2.68.
        let version = context.apiVersion
        var allowed: Set<String> = ["host", "adminPass"]
        if version < APIVersion(2, 14) { allowed.insert("onSharedStorage") }
        if version >= APIVersion(2, 29), version < APIVersion(2, 68) { allowed.insert("force") }
        try Self.checkFields(fields, "evacuate", allowed: allowed)
        let force = try CheckedInput.boolean(fields["force"], field: "force") ?? false
        if force, fields["host"] == nil || fields["host"] == .null {
            throw NovaError.badRequest("Can't force to a non-provided destination")
        }
        var host: String?
        if let value = argument["host"], value != .null {
            guard let text = value.stringValue, !text.isEmpty else {
                throw NovaError.badRequest("Invalid input for field/attribute host.")
            }
            host = try await existingComputeHost(text, instance)
        }
        if context.apiVersion < APIVersion(2, 14), argument["onSharedStorage"] == nil {
            throw NovaError.badRequest(
                "Invalid input for field/attribute evacuate. 'onSharedStorage' is a required property")
        }
        guard let source = instance.host else { throw NovaError.conflict("Instance \(instance.uuid) is not ready") }
        let services = try await store.services(host: source, binary: "nova-compute")
        if let service = services.first, service.isUp(now: clock.now, serviceDownTime: config.serviceDownTime) {
            throw NovaError.badRequest("Compute service of \(source) is still in use.")
        }
        let password = argument["adminPass"]?.stringValue ?? Self.generatePassword()
        try await beginMove(
            .evacuate, instance, context, allowed: [.active, .stopped, .error], taskState: .rebuilding,
            requestedHost: host, requireSourceUp: false, leaveStopped: context.apiVersion >= APIVersion(2, 95),
            forceHost: force
        ) { current in
            Migration(
                uuid: UUID().uuidString.lowercased(), instance: current, type: .evacuation, status: "accepted",
                newFlavor: current.flavor, createdAt: clock.now)
        }
        if context.apiVersion < APIVersion(2, 14), config.enableInstancePassword {
            return Response.json(["adminPass": .string(password)])
        }
        return Response.empty(status: 200)
    }

    /// confirmResize / revertResize: the instance is VERIFY_RESIZE with a finished migration.
    func finishResize(confirm: Bool, _ instance: Instance, _ context: NovaRequestContext) async throws {
        guard
            let migration = try await store.latestMigration(
                instanceUUID: instance.uuid, statuses: ["finished"], types: [.resize, .migration])
        else {
            throw NovaError.badRequest("Instance has not been resized.")
        }
        let operation: MoveOperation = confirm ? .confirmResize : .revertResize
        try await beginMove(
            operation, instance, context, allowed: [.resized], taskState: confirm ? nil : .resizeReverting,
            host: confirm ? migration.sourceCompute : migration.destCompute
        ) { _ in
            var changed = migration
            changed.status = confirm ? "confirming" : "reverting"
            changed.updatedAt = clock.now
            return changed
        }
    }

    /// Starts a move task in one transaction with its state change, then asks the conductor to run it.
    func beginMove(
        _ operation: MoveOperation, _ instance: Instance, _ context: NovaRequestContext, allowed: Set<VMState>,
        taskState: TaskState?, requestedHost: String? = nil, blockMigration: Bool = false, host: String? = nil,
        requireSourceUp: Bool = true, leaveStopped: Bool = false, forceHost: Bool = false,
        migration: @Sendable @escaping (Instance) throws -> Migration
    ) async throws {
        let isAdmin = try context.caller().isAdmin
        var task = MoveTask(
            uuid: UUID().uuidString.lowercased(), instanceUUID: instance.uuid, migrationUUID: "",
            operation: operation, host: host, deadline: clock.now.addingTimeInterval(config.moveStartTimeout),
            requestID: context.requestID, requestedHost: requestedHost, blockMigration: blockMigration,
            createdAt: clock.now)
        task.leaveStopped = leaveStopped
        task.forceHost = forceHost ? true : nil
        let name = operation.actionName
        if requireSourceUp { try await requireComputeUp(instance) }
        // Evacuate does not look at the task state (Nova passes task_state=None): the host is gone.
        let anyTaskState = operation == .evacuate
        let state = try await store.startMove(
            instanceUUID: instance.uuid, task: task, action: actionRecord(name, instance, context),
            migration: migration
        ) { current in
            if current.locked, !isAdmin { throw NovaError.conflict("Instance \(current.uuid) is locked") }
            guard allowed.contains(current.vmState) else {
                throw NovaError.conflict(
                    "Cannot '\(name)' instance \(current.uuid) while it is in vm_state \(current.vmState.rawValue)")
            }
            guard current.taskState == nil || anyTaskState else {
                throw NovaError.conflict(
                    "Cannot '\(name)' instance \(current.uuid) while it is in task_state \(current.taskState!.rawValue)"
                )
            }
            if let taskState { current.taskState = taskState }
        }
        do {
            try await conductor.startMove(task.uuid, context: context.rpcContext)
        } catch {
            // The task is stored: the conductor's sweep starts it when the deadline passes.
            _ = state
        }
    }

    /// Nova's check_instance_host(check_is_up=True): moves need the instance's compute service up.
    func requireComputeUp(_ instance: Instance) async throws {
        guard let host = instance.host else { throw NovaError.conflict("Instance \(instance.uuid) is not ready") }
        let services = try await store.services(host: host, binary: "nova-compute")
        guard let service = services.first, service.isUp(now: clock.now, serviceDownTime: config.serviceDownTime)
        else {
            throw NovaError.conflict("Compute service of \(host) is unavailable at this time.")
        }
    }
}
