import APISupport
import Foundation
import HTTPTypes
import Hummingbird
import NovaCore

/// The networking proxies of the Compute API below 2.36 (nova/api/openstack/compute/networks.py,
/// tenant_networks.py, floating_ips.py, floating_ip_pools.py): the networking service asked as the user,
/// its answers in Nova's old shapes; 404 from 2.36 on, as Nova.
extension ComputeAPI {
    static let maxProxyVersion = APIVersion(2, 35)
    /// The fields of Nova's network view that a networking-service network leaves empty.
    static let legacyNetworkFields = [
        "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6", "netmask_v6",
    ]
    static let legacyNetworkAdminFields = [
        "created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge", "vlan", "vpn_public_address",
        "vpn_public_port", "vpn_private_address", "dhcp_start", "project_id", "host", "bridge_interface",
        "multi_host", "priority", "rxtx_base", "mtu", "dhcp_server", "enable_dhcp", "share_address",
    ]

    /// The caller of a proxy API: its networking client and itself as the networking service's user.
    func proxyCaller(_ request: Request, _ context: NovaRequestContext, version: APIVersion = maxProxyVersion) throws
        -> (any NetworkClient, NetworkUser)
    {
        guard context.apiVersion <= version else {
            throw NovaError.notFound("The resource could not be found.")
        }
        guard let network else { throw NovaError.badRequest("Network driver does not support this function.") }
        let token = request.headers[HTTPField.Name("X-Auth-Token")!] ?? ""
        return (network, NetworkUser(credentials: try context.caller(), token: token))
    }

    /// A networking call as the user; its errors in Nova's shape.
    func neutron(
        _ client: any NetworkClient, _ method: String, _ path: String, body: JSON? = nil, as user: NetworkUser
    ) async throws -> JSON {
        do {
            return try await client.request(method, path, body: body, as: user) ?? .null
        } catch let error as NovaError {
            throw Self.proxied(error)
        }
    }

    /// Another service's refusal as Nova's proxy APIs answer it: the same status in Nova's body (`overLimit`,
    /// 413, is 403 there, as Nova says an exceeded quota of another service).
    static func proxied(_ error: NovaError) -> NovaError {
        switch error.code.status {
        case 400: .badRequest(error.message)
        case 403, 413: .forbidden(error.message)
        case 404: .notFound(error.message)
        case 409: .conflict(error.message)
        default: error
        }
    }

    func registerNetworkProxies(on v21: RouterGroup<NovaRequestContext>) {
        for base in ["os-networks", "os-tenant-networks"] {
            let tenant = base == "os-tenant-networks"
            v21.get(RouterPath(stringLiteral: base)) { request, context in
                let (client, user) = try proxyCaller(request, context)
                let networks = try await neutron(client, "GET", "/networks", as: user)["networks"]?.arrayValue ?? []
                let visible = networks.filter { $0["router:external"]?.boolValue != true || !tenant }
                return Response.json([
                    "networks": .array(
                        visible.map { legacyNetwork($0, tenant: tenant, admin: user.credentials.isAdmin) })
                ])
            }
            v21.get(RouterPath(stringLiteral: base + "/{id}")) { request, context in
                let (client, user) = try proxyCaller(request, context)
                let id = context.parameter("id")
                let found = try await neutron(client, "GET", "/networks/\(PercentEncoding.encode(id))", as: user)
                guard let network = found["network"] else {
                    throw NovaError.notFound("Network \(id) could not be found.")
                }
                return Response.json([
                    "network": legacyNetwork(network, tenant: tenant, admin: user.credentials.isAdmin)
                ])
            }
            for path in [base, base + "/{id}", base + "/add", base + "/{id}/action"] {
                let gone: @Sendable (Request, NovaRequestContext) async throws -> Response = { request, context in
                    _ = try proxyCaller(request, context)
                    throw NovaError(
                        .gone, "This API is no longer available: networks are managed by the networking service.")
                }
                if path.hasSuffix("{id}") {
                    v21.delete(RouterPath(stringLiteral: path), use: gone)
                } else {
                    v21.post(RouterPath(stringLiteral: path), use: gone)
                }
            }
        }
        v21.get("os-floating-ip-pools") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let networks =
                try await neutron(client, "GET", "/networks?router:external=True", as: user)["networks"]?.arrayValue
                ?? []
            return Response.json([
                "floating_ip_pools": .array(networks.map { ["name": $0["name"] ?? .null] })
            ])
        }
        registerFloatingIPProxies(on: v21)
    }

    func legacyNetwork(_ network: JSON, tenant: Bool, admin: Bool) -> JSON {
        var view: JSONObject = ["id": network["id"] ?? .null, "label": network["name"] ?? .null]
        if tenant {
            view["cidr"] = .null
            return .object(view)
        }
        for field in Self.legacyNetworkFields { view[field] = .null }
        if admin { for field in Self.legacyNetworkAdminFields { view[field] = .null } }
        return .object(view)
    }
}
