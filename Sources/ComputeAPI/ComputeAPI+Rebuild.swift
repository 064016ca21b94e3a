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
        try CheckedInput.onlyFields(Self.rebuildKeys(context.apiVersion), of: argument, field: "rebuild")
        let preserveEphemeral = try CheckedInput.boolean(spec["preserve_ephemeral"], field: "preserve_ephemeral")
        let accessIPv4 = try Self.accessIP(spec, "accessIPv4", version: 4)
        let accessIPv6 = try Self.accessIP(spec, "accessIPv6", version: 6)
        let image = try await requestedImage(["imageRef": imageRef], flavor: instance.flavor, caller: caller)
        let imageProperties = try await schedulingProperties(image)
        let name = try spec["name"].map { try Self.validName($0) }
        let metadata = try spec["metadata"].flatMap { $0 == .null ? nil : try Self.metadata($0) }
        let description = context.apiVersion >= APIVersion(2, 19) ? spec["description"]?.stringValue : nil
        let password = spec["adminPass"]?.stringValue ?? Self.generatePassword()
        let autoDiskConfig = try Self.diskConfig(spec)
        // 2.57: the rebuild may replace the user data (null removes it).
        let userData: String?? =
            context.apiVersion >= APIVersion(2, 57) ? spec["user_data"].map { $0.isNull ? nil : $0.stringValue } : nil
        // 2.54: the rebuild may set or (null) remove the key pair; 2.90: it may rename the host.
        let keyPair: KeyPairRecord?? =
            if context.apiVersion >= APIVersion(2, 54), let value = spec["key_name"] {
                .some(try await requestedKeyPair(value, caller))
            } else { nil }
        // personality (until 2.57) replaces the files the guest gets.
        let personality = try InjectedFile.parse(
            spec["personality"], limits: try await store.quotaLimits(projectID: instance.projectID))
        // 2.63: the rebuild may set, replace or (null) remove the trusted certificates.
        let trustedCertificates = try Self.trustedCertificates(
            spec["trusted_image_certificates"], context.apiVersion, "rebuild")
        if trustedCertificates??.isEmpty == false, instance.isVolumeBacked {
            throw NovaError.badRequest("Image certificate validation is not supported for volume-backed servers.")
        }
        let hostname =
            context.apiVersion >= APIVersion(2, 90)
            ? try CheckedInput.text(spec["hostname"], field: "hostname", length: 1...255) : nil
        let updated = try await startOperation(.rebuild, on: instance, context: context) { current in
            current.imageRef = image
            current.rebuildPreservesEphemeral = preserveEphemeral == true ? true : nil
            if let keyPair {
                current.keyName = keyPair?.name
                current.keyData = keyPair?.publicKey
            }
            if let hostname { current.hostname = Instance.sanitizedHostname(hostname) }
            if let personality { current.personality = personality }
            if let trustedCertificates { current.trustedImageCertificates = trustedCertificates }
            current.schedulingRequest?.imageProperties = imageProperties
            if let userData { current.userData = userData }
            if let autoDiskConfig { current.autoDiskConfig = autoDiskConfig }
            if let name { current.displayName = name }
            if let accessIPv4 { current.accessIPv4 = accessIPv4 }
            if let accessIPv6 { current.accessIPv6 = accessIPv6 }
            if let metadata { current.metadata = metadata }
            if let description { current.description = description }
        }
        var server = try await viewBuilder(request, context).changed(
            updated, serverGroups: try await groupsForShow(updated, context))
        if config.enableInstancePassword { server["adminPass"] = .string(password) }
        if context.apiVersion >= APIVersion(2, 54) { server["key_name"] = .optional(updated.keyName) }
        // Nova's rebuild view leaves out the admin's user_data attribute; from 2.57 it is a field of its own.
        server["OS-EXT-SRV-ATTR:user_data"] = nil
        if context.apiVersion >= APIVersion(2, 57) { server["user_data"] = .optional(updated.userData) }
        return Response.json(["server": .object(server)], status: 202)
    }

    /// The fields of Nova's rebuild schema at `version` (schemas/servers.py rebuild_v2xx).
    static func rebuildKeys(_ version: APIVersion) -> Set<String> {
        var keys: Set<String> = [
            "name", "imageRef", "adminPass", "metadata", "preserve_ephemeral", "OS-DCF:diskConfig", "accessIPv4",
            "accessIPv6",
        ]
        if version < APIVersion(2, 57) { keys.insert("personality") }
        if version >= APIVersion(2, 19) { keys.insert("description") }
        if version >= APIVersion(2, 54) { keys.insert("key_name") }
        if version >= APIVersion(2, 57) { keys.insert("user_data") }
        if version >= APIVersion(2, 63) { keys.insert("trusted_image_certificates") }
        if version >= APIVersion(2, 90) { keys.insert("hostname") }
        return keys
    }
}
