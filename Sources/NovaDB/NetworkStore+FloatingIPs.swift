import Foundation
import NetworkCore
import NovaCore
import SQLKit

/// What a floating IP is to be mapped to: a port, and one of its fixed IPs (the first IPv4 one when nil).
public struct FloatingIPTarget: Sendable, Equatable {
    public var portID: String
    public var fixedIPAddress: String?

    public init(portID: String, fixedIPAddress: String?) {
        self.portID = portID
        self.fixedIPAddress = fixedIPAddress
    }
}

extension NetworkStore {
    static func save(_ floating: FloatingIP, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO floating_ips (id, project_id, floating_network_id, floating_port_id, fixed_port_id,
              fixed_ip_address, router_id, created_at, data)
            VALUES (\(bind: floating.id), \(bind: floating.projectID), \(bind: floating.floatingNetworkID),
              \(bind: floating.floatingPortID), \(bind: floating.portID), \(bind: floating.fixedIPAddress),
              \(bind: floating.routerID), \(bind: floating.standard.createdAt.stored), \(bind: try StoredJSON.encode(floating)))
            ON CONFLICT (id) DO UPDATE SET fixed_port_id = excluded.fixed_port_id,
              fixed_ip_address = excluded.fixed_ip_address, router_id = excluded.router_id, data = excluded.data
            """
        ).run()
    }

    /// Takes an address of the external network (a port of its own holds it) and maps it when asked.
    public func createFloatingIP(
        _ floating: FloatingIP, address: String?, subnetID: String?, target: FloatingIPTarget?
    ) async throws -> FloatingIP {
        try await database.write { sql in
            try await self.checkQuota("floatingip", table: "floating_ips", project: floating.projectID, in: sql)
            guard
                let network = try await Self.rows(
                    Network.self, "SELECT data FROM networks WHERE id = \(bind: floating.floatingNetworkID)", in: sql
                ).first, network.external
            else {
                throw NovaError.badRequest(
                    "Bad floatingip request: Network \(floating.floatingNetworkID) is not a valid external network.")
            }
            var port = NetworkPort(
                id: floating.floatingPortID, projectID: "", networkID: network.id, macAddress: MACAddress.random(),
                createdAt: floating.standard.createdAt)
            port.deviceID = floating.id
            port.deviceOwner = DeviceOwner.floatingIP
            port.portSecurityEnabled = false
            port.status = "N/A"
            var request: [AddressRequest]?
            if let address {
                request = [.exact(subnetID: subnetID, ipAddress: address)]
            } else if let subnetID {
                request = [.any(subnetID: subnetID)]
            }
            port = try await self.insertPort(port, addresses: request, macGiven: false, in: sql)
            guard
                let taken = port.fixedIPs.first(where: { IPAddress($0.ipAddress)?.version == 4 }) ?? port.fixedIPs.first
            else {
                throw NovaError(
                    .ipAddressGenerationFailure, "No more IP addresses available on network \(network.id).")
            }
            var floating = floating
            floating.floatingIPAddress = taken.ipAddress
            if let target { try await Self.associate(&floating, with: target, in: sql) }
            try await Self.save(floating, in: sql)
            return floating
        }
    }

    /// Maps `floating` to the target's fixed IP through a router that has a gateway on the floating IP's network
    /// and an interface on the fixed IP's subnet.
    static func associate(_ floating: inout FloatingIP, with target: FloatingIPTarget, in sql: any SQLDatabase)
        async throws
    {
        guard
            let port = try await rows(
                NetworkPort.self, "SELECT data FROM ports WHERE id = \(bind: target.portID)", in: sql
            )
            .first
        else { throw NovaError(.portNotFound, "Port \(target.portID) could not be found.") }
        let fixed: FixedIP
        if let address = target.fixedIPAddress {
            guard let match = port.fixedIPs.first(where: { IPAddress($0.ipAddress) == IPAddress(address) }) else {
                throw NovaError.badRequest(
                    "Bad floatingip request: Port \(port.id) does not have fixed ip \(address).")
            }
            fixed = match
        } else {
            guard let first = port.fixedIPs.first(where: { IPAddress($0.ipAddress)?.version == 4 }) else {
                throw NovaError.badRequest(
                    "Bad floatingip request: Port \(port.id) does not have any IPv4 address to associate a floating IP with."
                )
            }
            fixed = first
        }
        if let other = try await sql.raw(
            """
            SELECT id FROM floating_ips WHERE fixed_port_id = \(bind: port.id)
              AND fixed_ip_address = \(bind: fixed.ipAddress) AND id <> \(bind: floating.id)
            """
        ).first() {
            throw NovaError(
                .floatingIPPortAlreadyAssociated,
                "Cannot associate floating IP \(floating.floatingIPAddress) (\(floating.id)) with port \(port.id) using fixed IP \(fixed.ipAddress), as that fixed IP already has a floating IP on external network \(floating.floatingNetworkID): \(try other.string("id"))."
            )
        }
        let interfaces = try await rows(
            NetworkPort.self,
            """
            SELECT data FROM ports WHERE network_id = \(bind: port.networkID)
              AND device_owner = \(bind: DeviceOwner.routerInterface)
            """, in: sql)
        let candidates = interfaces.filter { $0.fixedIPs.contains { $0.subnetID == fixed.subnetID } }.map(\.deviceID)
        var found: String?
        for routerID in candidates {
            if let router = try? await router(id: routerID, in: sql),
                router.gateway?.networkID == floating.floatingNetworkID
            {
                found = router.id
                break
            }
        }
        guard let routerID = found else {
            throw NovaError(
                .externalGatewayForFloatingIPNotFound,
                "External network \(floating.floatingNetworkID) is not reachable from subnet \(fixed.subnetID). Therefore, cannot associate Port \(port.id) with a Floating IP."
            )
        }
        floating.portID = port.id
        floating.fixedIPAddress = fixed.ipAddress
        floating.routerID = routerID
        floating.status = "ACTIVE"
    }

    public func floatingIP(id: String) async throws -> FloatingIP? {
        try await database.read { sql in
            try await Self.rows(FloatingIP.self, "SELECT data FROM floating_ips WHERE id = \(bind: id)", in: sql).first
        }
    }

    public func floatingIPs(ids: [String]? = nil, projectID: String? = nil, portIDs: [String]? = nil) async throws
        -> [FloatingIP]
    {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM floating_ips WHERE 1 = 1")
            if let ids { query += Self.among("id", ids) }
            if let projectID { query += " AND project_id = \(bind: projectID)" }
            if let portIDs { query += Self.among("fixed_port_id", portIDs) }
            query += " ORDER BY created_at, id"
            return try await Self.rows(FloatingIP.self, query, in: sql)
        }
    }

    /// Changes a floating IP: `target` `.some(nil)` unmaps it, `.some(target)` maps it anew.
    public func updateFloatingIP(
        id: String, target: FloatingIPTarget??, _ body: @Sendable (inout FloatingIP) -> Void
    ) async throws -> (old: FloatingIP, new: FloatingIP) {
        try await database.write { sql in
            guard
                let old = try await Self.rows(
                    FloatingIP.self, "SELECT data FROM floating_ips WHERE id = \(bind: id)", in: sql
                ).first
            else { throw NovaError(.floatingIPNotFound, "Floating IP \(id) could not be found") }
            var floating = old
            body(&floating)
            if let target {
                floating.portID = nil
                floating.fixedIPAddress = nil
                floating.routerID = nil
                floating.status = "DOWN"
                if let target { try await Self.associate(&floating, with: target, in: sql) }
            }
            try await Self.save(floating, in: sql)
            return (old, floating)
        }
    }

    public func deleteFloatingIP(id: String) async throws -> FloatingIP {
        try await database.write { sql in
            guard
                let floating = try await Self.rows(
                    FloatingIP.self, "SELECT data FROM floating_ips WHERE id = \(bind: id)", in: sql
                ).first
            else { throw NovaError(.floatingIPNotFound, "Floating IP \(id) could not be found") }
            try await sql.raw("DELETE FROM floating_ips WHERE id = \(bind: id)").run()
            try await Self.deletePortRows(floating.floatingPortID, in: sql)
            return floating
        }
    }

    /// A deleted port's floating IPs stay, unmapped (Neutron's behaviour).
    static func disassociateFloatingIPs(portID: String, in sql: any SQLDatabase) async throws {
        for var floating in try await rows(
            FloatingIP.self, "SELECT data FROM floating_ips WHERE fixed_port_id = \(bind: portID)", in: sql)
        {
            floating.portID = nil
            floating.fixedIPAddress = nil
            floating.routerID = nil
            floating.status = "DOWN"
            try await save(floating, in: sql)
        }
    }
}
