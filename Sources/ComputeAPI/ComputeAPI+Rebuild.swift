import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// rebuild, rescue, unrescue (servers.py, rescue.py) and the deferred delete actions restore and
/// forceDelete (deferred_delete.py): single-host operations with Nova's guards.
extension ComputeAPI {
    func hostOperationAction(
        _ name: String, _ argument: JSON, _ instance: Instance, _ request: Request, _ context: NovaRequestContext
    ) async throws -> Response? {
        let caller = try context.caller()
        switch name {
        case "rebuild":
            return try await rebuild(argument, instance, request, context)
        case "rescue":
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:os-rescue", caller, targetProject: instance.projectID)
            var rescueImage: String?
            if let image = argument["rescue_image_ref"]?.stringValue {
                rescueImage = try await requestedImage(
                    ["imageRef": .string(image)], flavor: instance.flavor, caller: caller)
            }
            let password = argument["adminPass"]?.stringValue ?? Self.generatePassword()
            try await startOperation(.rescue, on: instance, context: context) { [rescueImage] in
                $0.rescueImageRef = rescueImage
            }
            return config.enableInstancePassword
                ? Response.json(["adminPass": .string(password)]) : Response.empty(status: 200)
        case "unrescue":
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:os-unrescue", caller, targetProject: instance.projectID)
            try await startOperation(.unrescue, on: instance, context: context)
        case "restore":
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:os-deferred-delete:restore", caller, targetProject: instance.projectID)
            try await startOperation(.restore, on: instance, context: context)
        case "forceDelete":
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:os-deferred-delete:force", caller, targetProject: instance.projectID)
            try await startOperation(.delete, on: instance, context: context)
        default:
            return nil
        }
        return Response.empty(status: 202)
    }

    /// rebuild: the same server (id, addresses, host) from a new image; 202 with the server.
    func rebuild(_ argument: JSON, _ instance: Instance, _ request: Request, _ context: NovaRequestContext)
        async throws -> Response
    {
        let caller = try context.caller()
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:servers:rebuild", caller, targetProject: instance.projectID)
        guard let spec = argument.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute rebuild. Value must be an object")
        }
        guard let imageRef = spec["imageRef"], imageRef != .null else {
            throw NovaError.badRequest("Invalid input for field/attribute rebuild. 'imageRef' is a required property")
        }
        let image = try await requestedImage(["imageRef": imageRef], flavor: instance.flavor, caller: caller)
        let name = try spec["name"].map { try Self.validName($0) }
        var metadata: [String: String]?
        if let value = spec["metadata"], value != .null {
            guard let object = value.objectValue else {
                throw NovaError.badRequest("Invalid input for field/attribute metadata. Value must be an object")
            }
            metadata = try object.entries.reduce(into: [:]) { result, entry in
                guard let text = entry.1.stringValue else {
                    throw NovaError.badRequest("Invalid input for field/attribute metadata. Values must be strings")
                }
                result[entry.0] = text
            }
        }
        let newMetadata = metadata
        let description = context.apiVersion >= APIVersion(2, 19) ? spec["description"]?.stringValue : nil
        let password = spec["adminPass"]?.stringValue ?? Self.generatePassword()
        let isAdmin = caller.isAdmin
        let operation = InstanceOperation.rebuild
        let updated = try await store.mutateInstance(
            uuid: instance.uuid, action: actionRecord(operation.actionName, instance, context)
        ) { current in
            if current.locked, !isAdmin { throw NovaError.conflict("Instance \(current.uuid) is locked") }
            try operation.check(
                vmState: current.vmState, taskState: current.taskState, launched: current.launchedAt != nil,
                instanceID: current.uuid)
            current.taskState = .rebuilding
            current.imageRef = image
            if let name { current.displayName = name }
            if let newMetadata { current.metadata = newMetadata }
            if let description { current.description = description }
        }
        if let host = updated.host {
            do {
                try await compute.perform(operation, on: updated, host: host, context: context.rpcContext)
            } catch {
                _ = try? await store.updateInstance(
                    uuid: updated.uuid, InstanceUpdate(expectedTaskStates: [.rebuilding], taskState: .some(nil)))
                throw NovaError.conflict("Compute host \(host) is not available, so 'rebuild' was not started.")
            }
        }
        var server = try await viewBuilder(request, context).detail(updated, serverGroups: []).objectValue ?? [:]
        if config.enableInstancePassword { server["adminPass"] = .string(password) }
        return Response.json(["server": .object(server)], status: 202)
    }
}
