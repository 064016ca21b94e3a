import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    /// vm_states a server may have an interface attached or detached in (no task running).
    static let interfaceStates: Set<VMState> = [.active, .paused, .stopped, .suspended]

    func registerInterfaces(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("servers/{id}/os-interface") { _, context in
            let (instance, network) = try await interfaceServer(context, action: "list", reading: true)
            let ports = try await network.ports(deviceID: instance.uuid)
            return Response.json([
                "interfaceAttachments": .array(ports.map { interfaceView($0, instance, context.apiVersion) })
            ])
        }
        v21.get("servers/{id}/os-interface/{port}") { _, context in
            let (instance, network) = try await interfaceServer(context, action: "show", reading: true)
            let portID = context.parameter("port")
            guard let port = try await network.port(id: portID), port.deviceID == instance.uuid else {
                throw NovaError.notFound("Port \(portID) could not be found.")
            }
            return Response.json(["interfaceAttachment": interfaceView(port, instance, context.apiVersion)])
        }
        v21.post("servers/{id}/os-interface") { request, context in
            let (instance, network) = try await interfaceServer(context, action: "create", reading: false)
            let body = try await request.jsonBody(context: context)
            let wanted = try await interfaceRequest(body, network: network, context: context)
            let ready = try await interfaceChange("attach_interface", instance, context)
            guard let host = ready.host else {
                throw NovaError.conflict("Instance \(instance.uuid) is not on a compute host yet")
            }
            let port: PortSummary
            do {
                port = try await compute.attachInterface(
                    ready, request: wanted, host: host, context: context.rpcContext)
            } catch let error as NovaError where error.code.status >= 500 {
                throw NovaError.conflict(error.message)
            }
            return Response.json(["interfaceAttachment": interfaceView(port, ready, context.apiVersion)])
        }
        v21.delete("servers/{id}/os-interface/{port}") { _, context in
            let (instance, network) = try await interfaceServer(context, action: "delete", reading: false)
            let portID = context.parameter("port")
            guard let port = try await network.port(id: portID), port.deviceID == instance.uuid else {
                throw NovaError.notFound("Port \(portID) could not be found.")
            }
            let ready = try await interfaceChange("detach_interface", instance, context)
            guard let host = ready.host else {
                throw NovaError.conflict("Instance \(instance.uuid) is not on a compute host yet")
            }
            try await compute.detachInterface(ready, portID: port.id, host: host, context: context.rpcContext)
            return Response.empty(status: 202)
        }
        v21.get("servers/{id}/ips") { _, context in
            let instance = try await visibleInstance(context.parameter("id"), context)
            try PolicyRule.projectReaderOrAdmin.enforce(
                "os_compute_api:ips:index", try context.caller(), targetProject: instance.projectID)
            return Response.json(["addresses": Self.plainAddresses(instance.addresses ?? [])])
        }
        v21.get("servers/{id}/ips/{network}") { _, context in
            let instance = try await visibleInstance(context.parameter("id"), context)
            try PolicyRule.projectReaderOrAdmin.enforce(
                "os_compute_api:ips:show", try context.caller(), targetProject: instance.projectID)
            let name = context.parameter("network")
            let addresses = (instance.addresses ?? []).filter { $0.network == name }
            guard !addresses.isEmpty else { throw NovaError.notFound("Instance is not a member of specified network") }
            return Response.json(Self.plainAddresses(addresses))
        }
    }

    /// The server of an os-interface call, with the networking service (400 without one).
    func interfaceServer(_ context: NovaRequestContext, action: String, reading: Bool) async throws
        -> (Instance, any NetworkClient)
    {
        let instance = try await visibleInstance(context.parameter("id"), context)
        try (reading ? PolicyRule.projectReaderOrAdmin : .projectMemberOrAdmin).enforce(
            "os_compute_api:os-attach-interfaces:\(action)", try context.caller(), targetProject: instance.projectID)
        guard let network else { throw NovaError.badRequest("Network driver does not support this function.") }
        return (instance, network)
    }

    /// Checks lock and state and records the action, as Nova does before it asks the host.
    func interfaceChange(
        _ action: String, _ instance: Instance, _ context: NovaRequestContext,
        states: Set<VMState> = ComputeAPI.interfaceStates
    ) async throws -> Instance {
        let isAdmin = try context.caller().isAdmin
        return try await store.mutateInstance(uuid: instance.uuid, action: actionRecord(action, instance, context)) {
            try Self.checkChangeable(action, $0, states: states, isAdmin: isAdmin)
        }
    }

    /// Nova's check_instance_lock and check_instance_state for a change of a server's devices: 409 when it is
    /// locked (admins pass), busy with a task, or in a vm_state outside `states`.
    static func checkChangeable(_ action: String, _ current: Instance, states: Set<VMState>, isAdmin: Bool) throws {
        if current.locked, !isAdmin { throw NovaError.conflict("Instance \(current.uuid) is locked") }
        guard states.contains(current.vmState), current.taskState == nil else {
            let state = current.taskState.map { "task_state \($0.rawValue)" } ?? "vm_state \(current.vmState.rawValue)"
            throw NovaError.conflict("Cannot '\(action)' instance \(current.uuid) while it is in \(state)")
        }
    }

    /// The body of an attach: a port of the caller's that no server has, or a network it may use (with at
    /// most one fixed IP); neither: the project's one network.
    func interfaceRequest(_ body: JSON, network: any NetworkClient, context: NovaRequestContext) async throws
        -> NetworkRequest
    {
        let caller = try context.caller()
        guard let object = body.objectValue, object.keys.allSatisfy({ $0 == "interfaceAttachment" }) else {
            throw NovaError.badRequest("The body must be {\"interfaceAttachment\": {...}}")
        }
        let attachment = body["interfaceAttachment"] ?? .object(JSONObject())
        guard let fields = attachment.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute interfaceAttachment: an object is required")
        }
        var allowed = ["port_id", "net_id", "fixed_ips"]
        if context.apiVersion >= APIVersion(2, 49) { allowed.append("tag") }
        if let unknown = fields.keys.first(where: { !allowed.contains($0) }) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute interfaceAttachment. Additional properties are not allowed ('\(unknown)' was unexpected)"
            )
        }
        var request = NetworkRequest(
            networkID: try CheckedInput.text(attachment["net_id"], field: "net_id", length: 1...255),
            portID: try CheckedInput.text(attachment["port_id"], field: "port_id", length: 1...255),
            tag: try CheckedInput.text(attachment["tag"], field: "tag", length: 1...60))
        if let fixed = attachment["fixed_ips"] {
            guard let list = fixed.arrayValue, list.count == 1, let address = list[0]["ip_address"]?.stringValue,
                list[0].objectValue?.keys == ["ip_address"], Self.isIPAddress(address)
            else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute fixed_ips: one entry {\"ip_address\": an IP address} is allowed")
            }
            guard request.networkID != nil else {
                throw NovaError.badRequest("Must input network_id when request IP address")
            }
            request.fixedIP = address
        }
        if request.portID != nil, request.networkID != nil {
            throw NovaError.badRequest("Must not input both network_id and port_id")
        }
        if let portID = request.portID {
            guard let port = try await network.port(id: portID), caller.isAdmin || port.projectID == caller.projectID
            else { throw NovaError.notFound("Port \(portID) could not be found.") }
            guard port.deviceID.isEmpty else { throw NovaError.conflict("Port \(portID) is still in use.") }
            guard !port.fixedIPs.isEmpty else {
                throw NovaError.badRequest("Port \(portID) requires a FixedIP in order to be used.")
            }
            request.networkID = port.networkID
            return request
        }
        guard let networkID = request.networkID else {
            let available = try await network.networks(ids: nil, project: caller.projectID).filter(\.hasSubnets)
            guard available.count == 1 else {
                throw NovaError.conflict(
                    available.isEmpty
                        ? "No network is available to attach."
                        : "Multiple possible networks found, use a Network ID to be more specific.")
            }
            return NetworkRequest(networkID: available[0].id, networkName: available[0].name)
        }
        guard
            let found = try await network.networks(ids: [networkID], project: caller.isAdmin ? nil : caller.projectID)
                .first,
            caller.isAdmin || found.projectID == caller.projectID || found.shared
        else { throw NovaError.notFound("Network \(networkID) could not be found.") }
        guard found.hasSubnets else {
            throw NovaError.badRequest("Network \(networkID) requires a subnet in order to boot instances on.")
        }
        request.networkName = found.name
        return request
    }

    func interfaceView(_ port: PortSummary, _ instance: Instance, _ version: APIVersion) -> JSON {
        var view: JSONObject = [
            "net_id": .string(port.networkID), "port_id": .string(port.id), "mac_addr": .string(port.macAddress),
            "port_state": .string(port.status),
            "fixed_ips": .array(
                port.fixedIPs.map { ["subnet_id": .string($0.subnetID), "ip_address": .string($0.address)] }),
        ]
        if version >= APIVersion(2, 70) {
            let tag = instance.networkRequests?.first { $0.portID == port.id }?.tag
            view["tag"] = .optional(tag)
        }
        return .object(view)
    }

    /// The `ips` view: `{network: [{version, addr}]}`, floating addresses after their fixed one.
    static func plainAddresses(_ addresses: [FixedAddress]) -> JSON {
        var object = JSONObject()
        for network in Set(addresses.map(\.network)).sorted() {
            var entries: [JSON] = []
            for address in addresses where address.network == network {
                for addr in [address.address] + (address.floating ?? []) {
                    entries.append(["version": addr.contains(":") ? 6 : 4, "addr": .string(addr)])
                }
            }
            object.append(network, .array(entries))
        }
        return .object(object)
    }
}
