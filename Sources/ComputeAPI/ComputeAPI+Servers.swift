import APISupport
import Foundation
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension ComputeAPI {
    /// `/servers`, and `/os-volumes_boot`, Nova's alias of it up to 2.102 (404 from 2.103).
    func registerServers(on v21: RouterGroup<NovaRequestContext>) {
        for base in ["servers", "os-volumes_boot"] {
            let alias = base != "servers"
            func path(_ tail: String) -> RouterPath { RouterPath(stringLiteral: base + tail) }
            @Sendable func allowed(_ context: NovaRequestContext) throws {
                if alias, context.apiVersion > APIVersion(2, 102) {
                    throw NovaError.notFound("The resource could not be found.")
                }
            }
            v21.get(path("")) { request, context in
                try allowed(context)
                return try await listServers(request, context, detail: false)
            }
            v21.get(path("/detail")) { request, context in
                try allowed(context)
                return try await listServers(request, context, detail: true)
            }
            v21.post(path("")) { request, context in
                try allowed(context)
                return try await createServers(request, context)
            }
            v21.get(path("/{id}")) { request, context in
                try allowed(context)
                let instance = try await visibleInstance(context.parameter("id"), context)
                let builder = try await viewBuilder(request, context)
                return Response.json([
                    "server": builder.detail(instance, serverGroups: try await groupsForShow(instance, context))
                ])
            }
            v21.put(path("/{id}")) { request, context in
                try allowed(context)
                return try await updateServer(request, context)
            }
            v21.delete(path("/{id}")) { _, context in
                try allowed(context)
                return try await deleteServer(context)
            }
        }
    }

    /// The groups a shown server belongs to (2.71+).
    func groupsForShow(_ instance: Instance, _ context: NovaRequestContext) async throws -> [String] {
        context.apiVersion >= APIVersion(2, 71) ? try await store.serverGroupUUIDs(instance: instance.uuid) : []
    }

    func viewBuilder(_ request: Request, _ context: NovaRequestContext) async throws -> ServerViewBuilder {
        let caller = try context.caller()
        var hostStatus: [String: String] = [:]
        if caller.isAdmin, context.apiVersion >= APIVersion(2, 16) {
            let now = clock.now
            for service in try await store.services(binary: "nova-compute") {
                hostStatus[service.host] =
                    service.forcedDown || !service.isUp(now: now, serviceDownTime: config.serviceDownTime)
                    ? "DOWN" : service.disabled ? "MAINTENANCE" : "UP"
            }
        }
        return ServerViewBuilder(
            version: context.apiVersion, isAdmin: caller.isAdmin, base: base(request), hostStatus: hostStatus)
    }

    /// An instance the caller may see: its project's (or any, for an admin); deleted ones are not found.
    func visibleInstance(_ id: String, _ context: NovaRequestContext, allowDeleted: Bool = false) async throws
        -> Instance
    {
        let caller = try context.caller()
        guard let instance = try await store.instance(uuid: id), allowDeleted || !instance.isDeleted,
            PolicyRule.projectReaderOrAdmin.allows(caller, targetProject: instance.projectID)
        else {
            throw NovaError.notFound("Instance \(id) could not be found.")
        }
        return instance
    }

    func updateServer(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let existing = try await visibleInstance(context.parameter("id"), context)
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:servers:update", caller, targetProject: existing.projectID)
        let body = try await request.jsonBody(context: context)
        guard let spec = body["server"]?.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute server. 'server' is a required property")
        }
        var allowed: Set<String> = ["name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"]
        if context.apiVersion >= APIVersion(2, 19) { allowed.insert("description") }
        if context.apiVersion >= APIVersion(2, 90) { allowed.insert("hostname") }
        if context.apiVersion >= APIVersion(2, 104) { allowed.insert("pinned_availability_zone") }
        if let unknown = spec.keys.first(where: { !allowed.contains($0) }) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute server. Additional properties are not allowed ('\(unknown)' was unexpected)"
            )
        }
        let name = try spec["name"].map { try Self.validName($0) }
        let description = try Self.validDescription(spec["description"])
        let hostname = spec["hostname"]?.stringValue
        let ipv4 = try Self.accessIP(spec, "accessIPv4", version: 4)
        let ipv6 = try Self.accessIP(spec, "accessIPv6", version: 6)
        let autoDiskConfig = try Self.diskConfig(spec)
        let pin = try spec["pinned_availability_zone"].map { value -> String? in
            guard !value.isNull else { return nil }
            return try CheckedInput.text(value, field: "pinned_availability_zone", length: 1...255)
        }
        let updated = try await store.mutateInstance(uuid: existing.uuid) { instance in
            if let pin { try Self.repin(&instance, to: pin) }
            if let autoDiskConfig { instance.autoDiskConfig = autoDiskConfig }
            if let name { instance.displayName = name }
            if let description { instance.description = description }
            if let hostname { instance.hostname = Instance.sanitizedHostname(hostname) }
            if let ipv4 { instance.accessIPv4 = ipv4 }
            if let ipv6 { instance.accessIPv6 = ipv6 }
        }
        return Response.json([
            "server": .object(
                try await viewBuilder(request, context).changed(
                    updated, serverGroups: try await groupsForShow(updated, context)))
        ])
    }

    /// 2.104: null unpins; a zone pins, but only to the zone the server is in, and a pinned server must be
    /// unpinned before it is pinned elsewhere (409). The same pin again changes nothing.
    static func repin(_ instance: inout Instance, to zone: String?) throws {
        guard let zone else {
            instance.pinnedAvailabilityZone = nil
            return
        }
        if let pinned = instance.pinnedAvailabilityZone {
            guard pinned == zone else {
                throw NovaError.conflict(
                    "Cannot change pinned availability zone directly. Unpin first by setting pinned_availability_zone to null."
                )
            }
            return
        }
        let current = instance.availabilityZone ?? ""
        guard current == zone else {
            throw NovaError.conflict(
                "Server can only be pinned to its current availability zone '\(current)', but '\(zone)' was requested.")
        }
        instance.pinnedAvailabilityZone = zone
    }

    static func validName(_ value: JSON) throws -> String {
        guard let name = try CheckedInput.text(value, field: "name", length: 1...255),
            name.trimmingCharacters(in: .whitespaces) == name
        else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute name. Value: \(value.serialized()). A name must be 1 to 255 characters with no leading or trailing whitespace"
            )
        }
        return name
    }

    /// The new description: absent (nil), or a value that may be null.
    /// `OS-DCF:diskConfig`: AUTO (true) or MANUAL (false); nil when absent.
    static func diskConfig(_ spec: JSONObject) throws -> Bool? {
        guard let value = spec["OS-DCF:diskConfig"], !value.isNull else { return nil }
        switch value.stringValue {
        case "AUTO": return true
        case "MANUAL": return false
        default:
            throw NovaError.badRequest(
                "Invalid input for field/attribute OS-DCF:diskConfig. Value: \(value.serialized().prefix(64)). "
                    + "It is not one of ['AUTO', 'MANUAL']")
        }
    }

    /// `accessIPv4` / `accessIPv6` as Nova's schema takes them (an address of that family), in the form Nova
    /// stores (netaddr's: `0::babe:220.12.22.2` is `::babe:dc0c:1602`); nil when absent.
    static func accessIP(_ spec: JSONObject, _ field: String, version: Int) throws -> String? {
        guard let value = spec[field], !value.isNull else { return nil }
        guard let text = value.stringValue, let address = IPAddress(text), address.version == version else {
            let shown = value.stringValue ?? value.serialized()
            throw NovaError.badRequest(
                "Invalid input for field/attribute \(field). Value: \(shown). '\(shown)' is not a 'ipv\(version)'")
        }
        return address.description
    }

    static func validDescription(_ value: JSON?) throws -> String?? {
        guard let value else { return .none }
        if value.isNull { return .some(nil) }
        guard let text = value.stringValue, text.count <= 255 else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute description. It must be a string of at most 255 characters or null")
        }
        return .some(text)
    }

    func deleteServer(_ context: NovaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let instance = try await visibleInstance(context.parameter("id"), context)
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:servers:delete", caller, targetProject: instance.projectID)
        // With reclaim_instance_interval the server is only soft-deleted: `restore` brings it back until
        // the conductor reclaims it.
        let soft = config.reclaimInstanceInterval > 0 && instance.vmState != .softDeleted
        try await startOperation(soft ? .softDelete : .delete, on: instance, context: context)
        return Response.empty(status: 204)
    }
}
