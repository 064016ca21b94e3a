import APISupport
import Foundation
import Hummingbird
import NovaCore

/// os-floating-ips (below 2.36) and the addFloatingIp/removeFloatingIp and addFixedIp/removeFixedIp actions
/// (below 2.44), through the networking service as the user.
extension ComputeAPI {
    static let maxFloatingActionVersion = APIVersion(2, 43)

    func registerFloatingIPProxies(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-floating-ips") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let project = PercentEncoding.encode(user.credentials.projectID)
            let list =
                try await neutron(client, "GET", "/floatingips?project_id=\(project)", as: user)["floatingips"]?
                .arrayValue ?? []
            var views: [JSON] = []
            for floating in list { views.append(try await legacyFloatingIP(floating, client, user)) }
            return Response.json(["floating_ips": .array(views)])
        }
        v21.get("os-floating-ips/{id}") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let floating = try await floatingIP(context.parameter("id"), client, user)
            return Response.json(["floating_ip": try await legacyFloatingIP(floating, client, user)])
        }
        v21.post("os-floating-ips") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let body = try await request.jsonBody(context: context)
            if body != .null, body.objectValue == nil {
                throw NovaError.badRequest("The body must be an object")
            }
            let pool = try CheckedInput.text(body["pool"], field: "pool", length: 1...255) ?? "public"
            // The pool is an external network's name or id (Nova's _get_floating_ip_pool_id_by_name_or_id).
            var networks: [JSON] = []
            for field in ["name", "id"] where networks.isEmpty {
                networks =
                    try await neutron(
                        client, "GET", "/networks?router:external=True&\(field)=\(PercentEncoding.encode(pool))",
                        as: user)["networks"]?.arrayValue ?? []
            }
            guard let networkID = networks.first?["id"] else {
                throw NovaError.notFound("Floating IP pool not found.")
            }
            let made: JSON
            do {
                made = try await neutron(
                    client, "POST", "/floatingips", body: ["floatingip": ["floating_network_id": networkID]],
                    as: user)
            } catch let error as NovaError where error.code.status == 409 {
                throw NovaError.forbidden("No more floating IPs available in pool \(pool): \(error.message)")
            }
            return Response.json(["floating_ip": try await legacyFloatingIP(made["floatingip"] ?? .null, client, user)])
        }
        v21.delete("os-floating-ips/{id}") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let floating = try await floatingIP(context.parameter("id"), client, user)
            let id = floating["id"]?.stringValue ?? ""
            _ = try await neutron(client, "DELETE", "/floatingips/\(PercentEncoding.encode(id))", as: user)
            return Response.empty(status: 202)
        }
    }

    func floatingIP(_ id: String, _ client: any NetworkClient, _ user: NetworkUser) async throws -> JSON {
        let found = try await neutron(client, "GET", "/floatingips/\(PercentEncoding.encode(id))", as: user)
        guard let floating = found["floatingip"] else {
            throw NovaError.notFound("Floating IP \(id) could not be found.")
        }
        return floating
    }

    /// Nova's floating IP view: `{id, ip, pool, fixed_ip, instance_id}`.
    func legacyFloatingIP(_ floating: JSON, _ client: any NetworkClient, _ user: NetworkUser) async throws -> JSON {
        var pool: JSON = .null
        if let network = floating["floating_network_id"]?.stringValue,
            let found = try? await neutron(client, "GET", "/networks/\(PercentEncoding.encode(network))", as: user)
        {
            pool = found["network"]?["name"] ?? .null
        }
        var instance: JSON = .null
        if let port = floating["port_id"]?.stringValue, let found = try? await client.port(id: port) {
            instance = .string(found.deviceID)
        }
        return [
            "id": floating["id"] ?? .null, "ip": floating["floating_ip_address"] ?? .null, "pool": pool,
            "fixed_ip": floating["fixed_ip_address"] ?? .null, "instance_id": instance,
        ]
    }

    /// addFloatingIp / removeFloatingIp / addFixedIp / removeFixedIp (below 2.44); nil for other actions.
    func floatingAction(
        _ name: String, _ argument: JSON, _ instance: Instance, _ request: Request, _ context: NovaRequestContext
    ) async throws -> Response? {
        guard ["addFloatingIp", "removeFloatingIp", "addFixedIp", "removeFixedIp"].contains(name) else { return nil }
        guard context.apiVersion <= Self.maxFloatingActionVersion else {
            throw NovaError.badRequest("There is no such action: \(name)")
        }
        let (client, user) = try proxyCaller(request, context, version: Self.maxFloatingActionVersion)
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:os-floating-ips:\(name)", user.credentials, targetProject: instance.projectID)
        guard argument.objectValue != nil else {
            throw NovaError.badRequest("Invalid input for field/attribute \(name)")
        }
        let ports = try await client.ports(deviceID: instance.uuid)
        switch name {
        case "addFloatingIp":
            guard let address = try CheckedInput.text(argument["address"], field: "address", length: 1...64) else {
                throw NovaError.badRequest("Invalid input for field/attribute address")
            }
            let fixed = try CheckedInput.text(argument["fixed_address"], field: "fixed_address", length: 1...64)
            let floating = try await floatingByAddress(address, client, user)
            guard
                let port = ports.first(where: { port in fixed.map(port.addresses.contains) ?? !port.addresses.isEmpty })
            else {
                throw NovaError.badRequest(
                    fixed.map { "Specified fixed address \($0) not assigned to instance" }
                        ?? "No nw_info cache associated with instance")
            }
            let target = fixed ?? port.addresses.first { !$0.contains(":") } ?? port.addresses[0]
            do {
                _ = try await neutron(
                    client, "PUT", "/floatingips/\(floating)",
                    body: ["floatingip": ["port_id": .string(port.id), "fixed_ip_address": .string(target)]], as: user)
            } catch let error as NovaError where error.code.status == 409 {
                // Nova's FloatingIpAssociateFailed: the networking service's conflict is the caller's bad request.
                throw NovaError.badRequest(error.message)
            }
        case "removeFloatingIp":
            guard let address = try CheckedInput.text(argument["address"], field: "address", length: 1...64) else {
                throw NovaError.badRequest("Invalid input for field/attribute address")
            }
            let floating = try await floatingByAddress(address, client, user)
            let current = try await floatingIP(floating, client, user)
            guard let port = current["port_id"]?.stringValue, ports.contains(where: { $0.id == port }) else {
                throw NovaError.conflict("Floating IP \(address) is not associated with instance \(instance.uuid).")
            }
            _ = try await neutron(
                client, "PUT", "/floatingips/\(floating)", body: ["floatingip": ["port_id": .null]], as: user)
        case "addFixedIp":
            guard let networkID = try CheckedInput.text(argument["networkId"], field: "networkId", length: 1...255)
            else {
                throw NovaError.badRequest("Invalid input for field/attribute networkId")
            }
            guard let port = ports.first(where: { $0.networkID == networkID }) else {
                throw NovaError.badRequest("Network \(networkID) is not attached to instance \(instance.uuid).")
            }
            let subnets = Set(port.fixedIPs.map(\.subnetID)).sorted()
            var wanted: [JSON] = port.fixedIPs.map {
                ["subnet_id": .string($0.subnetID), "ip_address": .string($0.address)]
            }
            wanted.append(["subnet_id": .string(subnets.first ?? "")])
            _ = try await neutron(
                client, "PUT", "/ports/\(PercentEncoding.encode(port.id))",
                body: ["port": ["fixed_ips": .array(wanted)]],
                as: user)
        default:
            guard let address = try CheckedInput.text(argument["address"], field: "address", length: 1...64) else {
                throw NovaError.badRequest("Invalid input for field/attribute address")
            }
            guard let port = ports.first(where: { $0.addresses.contains(address) }) else {
                throw NovaError.badRequest("Unable to find address \(address) on instance \(instance.uuid).")
            }
            let kept: [JSON] = port.fixedIPs.filter { $0.address != address }.map {
                ["subnet_id": .string($0.subnetID), "ip_address": .string($0.address)]
            }
            _ = try await neutron(
                client, "PUT", "/ports/\(PercentEncoding.encode(port.id))", body: ["port": ["fixed_ips": .array(kept)]],
                as: user)
        }
        try await store.recordAction(actionRecord(name, instance, context))
        return Response.empty(status: 202)
    }

    /// The id of the caller's floating IP with this address (404 when it has none).
    func floatingByAddress(_ address: String, _ client: any NetworkClient, _ user: NetworkUser) async throws -> String {
        let found = try await neutron(
            client, "GET", "/floatingips?floating_ip_address=\(PercentEncoding.encode(address))", as: user)
        guard let id = found["floatingips"]?.arrayValue?.first?["id"]?.stringValue else {
            throw NovaError.notFound("Floating IP not found for address \(address).")
        }
        return PercentEncoding.encode(id)
    }
}
