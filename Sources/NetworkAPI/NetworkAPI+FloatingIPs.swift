import APISupport
import Foundation
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    static let floatingIPAttributes: Set<String> = [
        "floating_network_id", "floating_ip_address", "subnet_id", "port_id", "fixed_ip_address", "description",
        "tenant_id", "project_id", "dns_name", "dns_domain", "qos_policy_id",
    ]

    func registerFloatingIPs(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("floatingips") { request, context in
            let caller = try context.caller()
            let query = ListQuery(request.query)
            let list = try await store.floatingIPs(
                ids: query.values("id"), projectID: caller.isAdmin ? nil : caller.projectID,
                portIDs: query.values("port_id"))
            return Response.json(
                try query.respond(
                    list.map(floatingIPView), collection: "floatingips", path: "/\(Self.prefix)/v2.0/floatingips",
                    baseURL: request.baseURL(fallback: "")))
        }
        v2.post("floatingips") { request, context in
            let caller = try context.caller()
            let body = try await body(request, context, resource: "floatingip", allowed: Self.floatingIPAttributes)
            guard let networkID = body["floating_network_id"]?.stringValue else {
                throw NovaError.badRequest(
                    "Failed to parse request. Required attribute 'floating_network_id' not specified")
            }
            _ = try await visibleNetwork(networkID, caller)
            let address = try CheckedInput.text(
                body["floating_ip_address"], field: "floating_ip_address", length: 1...64)
            if let address {
                guard caller.isAdmin else { throw NovaError.policy("rule:create_floatingip:floating_ip_address") }
                guard IPAddress(address) != nil else {
                    throw NovaError.invalidInput("'\(address)' is not a valid IP address")
                }
            }
            var floating = FloatingIP(
                id: newID(), projectID: try owner(body, caller, resource: "floatingip"), floatingNetworkID: networkID,
                floatingIPAddress: "", floatingPortID: newID(), createdAt: clock.now)
            if let description = try name(body, "description") { floating.standard.description = description }
            let target = try await floatingTarget(body, caller: caller, project: floating.projectID) ?? nil
            floating = try await store.createFloatingIP(
                floating, address: address,
                subnetID: try CheckedInput.text(body["subnet_id"], field: "subnet_id", length: 1...64), target: target)
            try await notify(.created(.floatingIP(floating)))
            return Response.json(["floatingip": .object(floatingIPView(floating))], status: 201)
        }
        v2.get("floatingips/{id}") { _, context in
            let floating = try await ownedFloatingIP(context.parameter("id"), try context.caller())
            return Response.json(["floatingip": .object(floatingIPView(floating))])
        }
        v2.put("floatingips/{id}") { request, context in
            let caller = try context.caller()
            let current = try await ownedFloatingIP(context.parameter("id"), caller)
            let body = try await body(request, context, resource: "floatingip", allowed: Self.floatingIPAttributes)
            if let fixed = body.keys.first(where: { !["port_id", "fixed_ip_address", "description"].contains($0) }) {
                throw NovaError.badRequest("Cannot update read-only attribute \(fixed)")
            }
            let description = try name(body, "description")
            let target = try await floatingTarget(body, caller: caller, project: current.projectID)
            let now = clock.now
            let (old, new) = try await store.updateFloatingIP(id: current.id, target: target) { floating in
                if let description { floating.standard.description = description }
                floating.standard.touch(now)
            }
            try await notify(.updated(old: .floatingIP(old), new: .floatingIP(new)))
            return Response.json(["floatingip": .object(floatingIPView(new))])
        }
        v2.delete("floatingips/{id}") { _, context in
            let floating = try await ownedFloatingIP(context.parameter("id"), try context.caller())
            let deleted = try await store.deleteFloatingIP(id: floating.id)
            try await notify(.deleted(.floatingIP(deleted)))
            return Response.empty(status: 204)
        }
    }

    /// `port_id` (with `fixed_ip_address`) of a body: absent (nil), `null` (unmap), or a port of the project.
    func floatingTarget(_ body: JSONObject, caller: Credentials, project: String) async throws -> FloatingIPTarget?? {
        guard let value = body["port_id"] else { return nil }
        guard let portID = value.stringValue else {
            if value.isNull { return .some(nil) }
            throw NovaError.invalidInput("port_id must be a port's id or null")
        }
        let port = try await ownedPort(portID, caller)
        guard caller.isAdmin || port.projectID == project else {
            throw NovaError(.portNotFound, "Port \(portID) could not be found.")
        }
        let fixed = try CheckedInput.text(body["fixed_ip_address"], field: "fixed_ip_address", length: 1...64)
        return .some(FloatingIPTarget(portID: port.id, fixedIPAddress: fixed))
    }

    func ownedFloatingIP(_ id: String, _ caller: Credentials) async throws -> FloatingIP {
        guard let floating = try await store.floatingIP(id: id),
            caller.isAdmin || floating.projectID == caller.projectID
        else { throw NovaError(.floatingIPNotFound, "Floating IP \(id) could not be found") }
        return floating
    }

    func floatingIPView(_ floating: FloatingIP) -> JSONObject {
        var json: JSONObject = [
            "id": .string(floating.id), "tenant_id": .string(floating.projectID),
            "project_id": .string(floating.projectID), "floating_network_id": .string(floating.floatingNetworkID),
            "floating_ip_address": .string(floating.floatingIPAddress), "router_id": .optional(floating.routerID),
            "port_id": .optional(floating.portID), "fixed_ip_address": .optional(floating.fixedIPAddress),
            "status": .string(floating.status), "qos_policy_id": .null, "port_details": .null,
        ]
        Self.appendStandard(floating.standard, to: &json)
        return json
    }
}
