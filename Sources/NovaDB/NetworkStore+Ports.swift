import Foundation
import NetworkCore
import NovaCore
import SQLKit

/// An address a port asks for: any free one of a subnet, or a given one.
public enum AddressRequest: Sendable, Equatable {
    case any(subnetID: String)
    /// `subnetID` nil: the subnet of the network whose range holds the address.
    case exact(subnetID: String?, ipAddress: String)
}

extension NetworkStore {
    /// Stores a new port with its addresses (one from the first IPv4 and the first IPv6 subnet with room
    /// when `addresses` is nil) and its security groups, all in one transaction; a MAC of nil is chosen here.
    public func createPort(_ port: NetworkPort, addresses: [AddressRequest]?, macGiven: Bool) async throws
        -> NetworkPort
    {
        try await database.write(lockingOnly: ["network:" + port.networkID, "netproject:" + port.projectID]) { sql in
            try await self.insertPort(port, addresses: addresses, macGiven: macGiven, in: sql)
        }
    }

    /// Stores a port with its addresses inside the caller's transaction. Ports of no project (a router's
    /// gateway, a floating IP's) count against no quota.
    func insertPort(_ port: NetworkPort, addresses: [AddressRequest]?, macGiven: Bool, in sql: any SQLDatabase)
        async throws -> NetworkPort
    {
        if !port.projectID.isEmpty {
            try await checkQuota("port", table: "ports", project: port.projectID, in: sql)
        }
        guard
            try await sql.raw("SELECT id FROM networks WHERE id = \(bind: port.networkID)").first() != nil
        else { throw NovaError(.networkNotFound, "Network \(port.networkID) could not be found.") }
        var port = port
        while try await sql.raw(
            "SELECT id FROM ports WHERE network_id = \(bind: port.networkID) AND mac_address = \(bind: port.macAddress)"
        ).first() != nil {
            if macGiven {
                throw NovaError(
                    .macAddressInUse,
                    "Unable to complete operation for network \(port.networkID). The mac address \(port.macAddress) is in use."
                )
            }
            port.macAddress = MACAddress.random()
        }
        try await Self.checkSecurityGroups(port.securityGroups, in: sql)
        try await sql.raw(
            """
            INSERT INTO ports (id, network_id, project_id, name, device_id, device_owner, mac_address, created_at, data)
            VALUES (\(bind: port.id), \(bind: port.networkID), \(bind: port.projectID), \(bind: port.name),
              \(bind: port.deviceID), \(bind: port.deviceOwner), \(bind: port.macAddress),
              \(bind: port.standard.createdAt.stored), '{}')
            """
        ).run()
        port.fixedIPs = try await Self.allocate(addresses, port: port, in: sql)
        try await Self.storeData(port, in: sql)
        try await Self.linkSecurityGroups(port, in: sql, replacing: false)
        return port
    }

    static func checkSecurityGroups(_ ids: [String], in sql: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }  // (PostgreSQL refuses `IN ()`)
        let found = Set(
            try await sql.raw("SELECT id FROM security_groups WHERE id IN (\(binds: ids))").all().map {
                try $0.string("id")
            })
        if let missing = ids.first(where: { !found.contains($0) }) {
            throw NovaError(.securityGroupNotFound, "Security group \(missing) does not exist")
        }
    }

    static func linkSecurityGroups(_ port: NetworkPort, in sql: any SQLDatabase, replacing: Bool = true) async throws {
        if replacing { try await sql.raw("DELETE FROM port_security_groups WHERE port_id = \(bind: port.id)").run() }
        for group in Set(port.securityGroups) {
            try await sql.raw(
                "INSERT INTO port_security_groups (port_id, security_group_id) VALUES (\(bind: port.id), \(bind: group))"
            ).run()
        }
    }

    static func storeData(_ port: NetworkPort, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE ports SET name = \(bind: port.name), device_id = \(bind: port.deviceID),
              device_owner = \(bind: port.deviceOwner), data = \(bind: try StoredJSON.encode(port))
            WHERE id = \(bind: port.id)
            """
        ).run()
    }

    /// Takes the addresses `requests` name for `port` (the defaults when nil).
    static func allocate(_ requests: [AddressRequest]?, port: NetworkPort, in sql: any SQLDatabase) async throws
        -> [FixedIP]
    {
        let subnets = try await rows(
            Subnet.self, "SELECT data FROM subnets WHERE network_id = \(bind: port.networkID) ORDER BY created_at, id",
            in: sql)
        var result: [FixedIP] = []
        guard let requests else {
            for version in [4, 6] {
                for subnet in subnets where subnet.ipVersion == version {
                    if let address = try await allocateAny(subnet, port: port, in: sql) {
                        result.append(address)
                        break
                    }
                }
            }
            if result.isEmpty, !subnets.isEmpty {
                throw NovaError(
                    .ipAddressGenerationFailure, "No more IP addresses available on network \(port.networkID).")
            }
            return result
        }
        for request in requests {
            switch request {
            case .any(let subnetID):
                guard let subnet = subnets.first(where: { $0.id == subnetID }) else {
                    throw invalidSubnet(subnetID, network: port.networkID)
                }
                guard let address = try await allocateAny(subnet, port: port, in: sql) else {
                    throw NovaError(
                        .ipAddressGenerationFailure, "No more IP addresses available on network \(port.networkID).")
                }
                result.append(address)
            case .exact(let subnetID, let text):
                guard let address = IPAddress(text) else {
                    throw NovaError.invalidInput("\(text) is not a valid IP address")
                }
                let subnet: Subnet
                if let subnetID {
                    guard let named = subnets.first(where: { $0.id == subnetID }) else {
                        throw invalidSubnet(subnetID, network: port.networkID)
                    }
                    subnet = named
                } else {
                    guard let holding = subnets.first(where: { $0.network?.contains(address) ?? false }) else {
                        throw NovaError(
                            .invalidIpForNetwork,
                            "IP address \(text) is not a valid IP for any of the subnets on the specified network.")
                    }
                    subnet = holding
                }
                result.append(try await allocateExact(address, subnet: subnet, port: port, in: sql))
            }
        }
        return result
    }

    static func invalidSubnet(_ subnetID: String, network: String) -> NovaError {
        NovaError.invalidInput(
            "Failed to create port on network \(network), because fixed_ips included invalid subnet \(subnetID)")
    }

    /// The next free address of the subnet's pools, or nil when they are full.
    static func allocateAny(_ subnet: Subnet, port: NetworkPort, in sql: any SQLDatabase) async throws -> FixedIP? {
        guard let network = subnet.network else { return nil }
        let pools = AddressAllocator.offsetRanges(subnet)
        let highest = try await sql.raw(
            "SELECT MAX(offset_number) AS m FROM ip_allocations WHERE subnet_id = \(bind: subnet.id)"
        ).first()?.optionalInt("m")
        var offset = AddressAllocator.offsetAfter(highest, in: pools)
        if offset == nil {
            let used = try await sql.raw(
                """
                SELECT offset_number FROM ip_allocations WHERE subnet_id = \(bind: subnet.id) AND offset_number >= 0
                ORDER BY offset_number
                """
            ).all().map { try $0.int("offset_number") }
            offset = AddressAllocator.lowestFree(in: pools, used: used)
        }
        guard let offset else { return nil }
        let address = AddressAllocator.address(offset: offset, in: network)
        try await insertAllocation(address, offset: offset, subnet: subnet, port: port, in: sql)
        return FixedIP(subnetID: subnet.id, ipAddress: address.description)
    }

    static func allocateExact(_ address: IPAddress, subnet: Subnet, port: NetworkPort, in sql: any SQLDatabase)
        async throws
        -> FixedIP
    {
        guard let network = subnet.network, network.contains(address), address != network.first,
            network.version == 6 || address != network.last
        else {
            throw NovaError(
                .invalidIpForSubnet, "IP address \(address) is not a valid IP for the specified subnet.")
        }
        let taken =
            try await sql.raw(
                "SELECT port_id FROM ip_allocations WHERE subnet_id = \(bind: subnet.id) AND ip_address = \(bind: address.description)"
            ).first() != nil
        let isGateway = subnet.gatewayIP.flatMap(IPAddress.init) == address
        if taken || (isGateway && !port.deviceOwner.hasPrefix("network:router")) {
            throw NovaError(
                .ipAddressAlreadyAllocated, "IP address \(address) already allocated in subnet \(subnet.id)")
        }
        let offset = AddressAllocator.offset(of: address, in: network)
        try await insertAllocation(address, offset: offset, subnet: subnet, port: port, in: sql)
        return FixedIP(subnetID: subnet.id, ipAddress: address.description)
    }

    static func insertAllocation(
        _ address: IPAddress, offset: Int, subnet: Subnet, port: NetworkPort, in sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO ip_allocations (subnet_id, ip_address, offset_number, port_id, network_id)
            VALUES (\(bind: subnet.id), \(bind: address.description), \(bind: offset), \(bind: port.id),
              \(bind: port.networkID))
            """
        ).run()
    }

    public func port(id: String) async throws -> NetworkPort? {
        try await database.read { sql in
            try await Self.rows(NetworkPort.self, "SELECT data FROM ports WHERE id = \(bind: id)", in: sql).first
        }
    }

    /// Ports in creation order, narrowed in the database by what is given.
    public func ports(
        ids: [String]? = nil, networkIDs: [String]? = nil, deviceIDs: [String]? = nil, projectID: String? = nil
    ) async throws -> [NetworkPort] {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM ports WHERE 1 = 1")
            if let ids { query += Self.among("id", ids) }
            if let networkIDs { query += Self.among("network_id", networkIDs) }
            if let deviceIDs { query += Self.among("device_id", deviceIDs) }
            if let projectID { query += " AND project_id = \(bind: projectID)" }
            query += " ORDER BY created_at, id"
            return try await Self.rows(NetworkPort.self, query, in: sql)
        }
    }

    /// Reads, changes and stores one port; `addresses` (when given) replaces its fixed IPs: addresses it keeps
    /// stay, the others are released, new ones allocated.
    public func updatePort(
        id: String, addresses: [AddressRequest]? = nil, _ body: @Sendable (inout NetworkPort) throws -> Void
    ) async throws -> (old: NetworkPort, new: NetworkPort) {
        guard let current = try await port(id: id) else {
            throw NovaError(.portNotFound, "Port \(id) could not be found.")
        }
        return try await database.write(lockingOnly: [
            "network:" + current.networkID, "netproject:" + current.projectID,
        ]) { sql in
            guard
                let old = try await Self.rows(
                    NetworkPort.self, "SELECT data FROM ports WHERE id = \(bind: id)", in: sql
                ).first
            else { throw NovaError(.portNotFound, "Port \(id) could not be found.") }
            var port = old
            try body(&port)
            if let addresses {
                let kept = port.fixedIPs.filter { fixed in
                    addresses.contains { $0 == .exact(subnetID: fixed.subnetID, ipAddress: fixed.ipAddress) }
                }
                for fixed in port.fixedIPs where !kept.contains(fixed) {
                    try await sql.raw(
                        "DELETE FROM ip_allocations WHERE subnet_id = \(bind: fixed.subnetID) AND ip_address = \(bind: fixed.ipAddress)"
                    ).run()
                }
                let wanted = addresses.filter { request in
                    !kept.contains { .exact(subnetID: $0.subnetID, ipAddress: $0.ipAddress) == request }
                }
                port.fixedIPs = kept + (try await Self.allocate(wanted, port: port, in: sql))
            }
            try await Self.checkSecurityGroups(port.securityGroups, in: sql)
            try await Self.storeData(port, in: sql)
            if port.securityGroups != old.securityGroups { try await Self.linkSecurityGroups(port, in: sql) }
            return (old, port)
        }
    }

    @discardableResult
    public func deletePort(id: String) async throws -> NetworkPort {
        guard let current = try await port(id: id) else {
            throw NovaError(.portNotFound, "Port \(id) could not be found.")
        }
        return try await database.write(lockingOnly: [
            "network:" + current.networkID, "netproject:" + current.projectID,
        ]) { sql in
            guard try await sql.raw("SELECT id FROM ports WHERE id = \(bind: id)").first() != nil else {
                throw NovaError(.portNotFound, "Port \(id) could not be found.")
            }
            try await Self.disassociateFloatingIPs(portID: id, in: sql)
            try await Self.deletePortRows(id, in: sql)
            return current
        }
    }
}
