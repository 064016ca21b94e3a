import Foundation
import NetworkCore
import NovaCore
import SQLKit

/// What a router's gateway is asked to be.
public struct GatewayRequest: Sendable, Equatable {
    public var networkID: String
    public var enableSNAT: Bool
    public var addresses: [AddressRequest]?

    public init(networkID: String, enableSNAT: Bool = true, addresses: [AddressRequest]? = nil) {
        self.networkID = networkID
        self.enableSNAT = enableSNAT
        self.addresses = addresses
    }
}

extension NetworkStore {
    static func router(id: String, in sql: any SQLDatabase) async throws -> NetworkRouter {
        guard
            let router = try await rows(NetworkRouter.self, "SELECT data FROM routers WHERE id = \(bind: id)", in: sql)
                .first
        else { throw NovaError(.routerNotFound, "Router \(id) could not be found") }
        return router
    }

    static func save(_ router: NetworkRouter, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO routers (id, project_id, name, created_at, data)
            VALUES (\(bind: router.id), \(bind: router.projectID), \(bind: router.name),
              \(bind: router.standard.createdAt.stored), \(bind: try StoredJSON.encode(router)))
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data
            """
        ).run()
    }

    /// Stores a new router, with its gateway port on the external network when asked.
    public func createRouter(_ router: NetworkRouter, gateway: GatewayRequest?) async throws -> NetworkRouter {
        try await database.write { sql in
            try await self.checkQuota("router", table: "routers", project: router.projectID, in: sql)
            var router = router
            if let gateway { router.gateway = try await self.makeGateway(gateway, router: router, in: sql) }
            try await Self.save(router, in: sql)
            return router
        }
    }

    func makeGateway(_ request: GatewayRequest, router: NetworkRouter, in sql: any SQLDatabase) async throws
        -> RouterGateway
    {
        let network = try await Self.rows(
            Network.self, "SELECT data FROM networks WHERE id = \(bind: request.networkID)", in: sql
        ).first
        guard let network, network.external else {
            throw NovaError.badRequest(
                "Bad router request: Network \(request.networkID) is not a valid external network.")
        }
        var port = NetworkPort(
            id: UUID().uuidString.lowercased(), projectID: "", networkID: network.id, macAddress: MACAddress.random(),
            createdAt: router.standard.updatedAt)
        port.deviceID = router.id
        port.deviceOwner = DeviceOwner.routerGateway
        port.portSecurityEnabled = false
        port.status = "ACTIVE"
        port = try await insertPort(port, addresses: request.addresses, macGiven: false, in: sql)
        return RouterGateway(
            networkID: network.id, enableSNAT: request.enableSNAT, portID: port.id, externalFixedIPs: port.fixedIPs)
    }

    public func router(id: String) async throws -> NetworkRouter? {
        try await database.read { sql in try? await Self.router(id: id, in: sql) }
    }

    public func routers(ids: [String]? = nil, projectID: String? = nil) async throws -> [NetworkRouter] {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM routers WHERE 1 = 1")
            if let ids { query += Self.among("id", ids) }
            if let projectID { query += " AND project_id = \(bind: projectID)" }
            query += " ORDER BY created_at, id"
            return try await Self.rows(NetworkRouter.self, query, in: sql)
        }
    }

    /// Changes a router; `gateway` (when given) replaces its gateway: `.some(nil)` clears it, which is refused
    /// while floating IPs reach the external network through it.
    public func updateRouter(
        id: String, gateway: GatewayRequest??, _ body: @Sendable (inout NetworkRouter) throws -> Void
    ) async throws -> (old: NetworkRouter, new: NetworkRouter) {
        try await database.write { sql in
            let old = try await Self.router(id: id, in: sql)
            var router = old
            try body(&router)
            if let wanted = gateway,
                wanted?.networkID != old.gateway?.networkID || wanted?.addresses != nil
                    || wanted?.enableSNAT != old.gateway?.enableSNAT
            {
                if let current = old.gateway {
                    if wanted?.networkID != current.networkID,
                        try await sql.raw("SELECT id FROM floating_ips WHERE router_id = \(bind: id)").first() != nil
                    {
                        throw NovaError(
                            NovaError.Code(status: 409, name: "RouterExternalGatewayInUseByFloatingIp"),
                            "Gateway cannot be updated for router \(id), since a gateway to external network \(current.networkID) is required by one or more floating IPs."
                        )
                    }
                    if wanted?.networkID == current.networkID, wanted?.addresses == nil, let wanted {
                        router.gateway?.enableSNAT = wanted.enableSNAT
                        try await Self.save(router, in: sql)
                        return (old, router)
                    }
                    try await Self.deletePortRows(current.portID, in: sql)
                    router.gateway = nil
                }
                if let wanted { router.gateway = try await self.makeGateway(wanted, router: router, in: sql) }
            }
            try await Self.save(router, in: sql)
            return (old, router)
        }
    }

    /// Deletes a router and its gateway port; 409 RouterInUse while it has interfaces.
    public func deleteRouter(id: String) async throws -> NetworkRouter {
        try await database.write { sql in
            let router = try await Self.router(id: id, in: sql)
            if try await sql.raw(
                "SELECT id FROM ports WHERE device_id = \(bind: id) AND device_owner = \(bind: DeviceOwner.routerInterface)"
            ).first() != nil {
                throw NovaError(.routerInUse, "Router \(id) still has ports")
            }
            if let gateway = router.gateway { try await Self.deletePortRows(gateway.portID, in: sql) }
            try await sql.raw("DELETE FROM routers WHERE id = \(bind: id)").run()
            return router
        }
    }

    static func deletePortRows(_ id: String, in sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM ip_allocations WHERE port_id = \(bind: id)").run()
        try await sql.raw("DELETE FROM port_security_groups WHERE port_id = \(bind: id)").run()
        try await sql.raw("DELETE FROM ports WHERE id = \(bind: id)").run()
    }

    /// Attaches a subnet (a new port with the subnet's gateway address) or an unused port to the router.
    public func addRouterInterface(routerID: String, subnetID: String?, portID: String?) async throws -> NetworkPort {
        try await database.write { sql in
            let router = try await Self.router(id: routerID, in: sql)
            if let portID {
                guard
                    var port = try await Self.rows(
                        NetworkPort.self, "SELECT data FROM ports WHERE id = \(bind: portID)", in: sql
                    ).first
                else { throw NovaError(.portNotFound, "Port \(portID) could not be found.") }
                guard port.deviceID.isEmpty, port.deviceOwner.isEmpty || port.deviceOwner == DeviceOwner.routerInterface
                else {
                    throw NovaError(
                        NovaError.Code(status: 409, name: "PortInUse"),
                        "Unable to complete operation on port \(portID) for network \(port.networkID). Port already has an attached device \(port.deviceID)."
                    )
                }
                guard !port.fixedIPs.isEmpty else {
                    throw NovaError.badRequest("Bad router request: Router port must have at least one fixed IP.")
                }
                port.deviceID = router.id
                port.deviceOwner = DeviceOwner.routerInterface
                port.status = "ACTIVE"
                try await Self.storeData(port, in: sql)
                return port
            }
            guard let subnetID,
                let subnet = try await Self.rows(
                    Subnet.self, "SELECT data FROM subnets WHERE id = \(bind: subnetID)", in: sql
                ).first
            else { throw NovaError(.subnetNotFound, "Subnet \(subnetID ?? "") could not be found.") }
            guard let gateway = subnet.gatewayIP else {
                throw NovaError.badRequest("Bad router request: Subnet \(subnet.id) does not have a gateway IP.")
            }
            let existing = try await Self.rows(
                NetworkPort.self,
                """
                SELECT data FROM ports WHERE device_id = \(bind: router.id)
                  AND device_owner = \(bind: DeviceOwner.routerInterface) AND network_id = \(bind: subnet.networkID)
                """, in: sql)
            if existing.contains(where: { $0.fixedIPs.contains { $0.subnetID == subnet.id } }) {
                throw NovaError.badRequest("Bad router request: Router already has a port on subnet \(subnet.id).")
            }
            var port = NetworkPort(
                id: UUID().uuidString.lowercased(), projectID: router.projectID, networkID: subnet.networkID,
                macAddress: MACAddress.random(), createdAt: Date())
            port.deviceID = router.id
            port.deviceOwner = DeviceOwner.routerInterface
            port.portSecurityEnabled = false
            port.status = "ACTIVE"
            return try await self.insertPort(
                port, addresses: [.exact(subnetID: subnet.id, ipAddress: gateway)], macGiven: false, in: sql)
        }
    }

    /// Detaches a subnet or port from the router (deleting the interface port); 409 while a floating IP
    /// reaches a fixed IP of that subnet through this router.
    public func removeRouterInterface(routerID: String, subnetID: String?, portID: String?) async throws
        -> NetworkPort
    {
        try await database.write { sql in
            _ = try await Self.router(id: routerID, in: sql)
            let interfaces = try await Self.rows(
                NetworkPort.self,
                """
                SELECT data FROM ports WHERE device_id = \(bind: routerID)
                  AND device_owner = \(bind: DeviceOwner.routerInterface)
                """, in: sql)
            let port = interfaces.first { port in
                if let portID { return port.id == portID }
                return port.fixedIPs.contains { $0.subnetID == subnetID }
            }
            guard let port else {
                if let portID {
                    throw NovaError(
                        NovaError.Code(status: 404, name: "RouterInterfaceNotFound"),
                        "Router \(routerID) does not have an interface with id \(portID)")
                }
                throw NovaError(
                    .routerInterfaceNotFound,
                    "Router \(routerID) has no interface on subnet \(subnetID ?? "")")
            }
            let subnets = Set(port.fixedIPs.map(\.subnetID))
            for floating in try await Self.rows(
                FloatingIP.self, "SELECT data FROM floating_ips WHERE router_id = \(bind: routerID)", in: sql)
            {
                guard let fixedPort = floating.portID, let address = floating.fixedIPAddress,
                    let target = try await Self.rows(
                        NetworkPort.self, "SELECT data FROM ports WHERE id = \(bind: fixedPort)", in: sql
                    ).first
                else { continue }
                if target.fixedIPs.contains(where: { $0.ipAddress == address && subnets.contains($0.subnetID) }) {
                    throw NovaError(
                        .routerInterfaceInUseByFloatingIP,
                        "Router interface for subnet \(subnets.sorted().joined(separator: ", ")) on router \(routerID) cannot be deleted, as it is required by one or more floating IPs."
                    )
                }
            }
            try await Self.deletePortRows(port.id, in: sql)
            return port
        }
    }
}
