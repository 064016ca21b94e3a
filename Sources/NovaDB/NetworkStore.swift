import Foundation
import NetworkCore
import NovaCore
import SQLKit

/// The networking service's tables: networks, subnets, ports with their addresses, security groups and
/// their rules, and quotas. Every decision that races (an address, a segment, a quota, "in use") is taken
/// inside the write transaction that stores its result.
public final class NetworkStore: Sendable {
    public let database: Database
    public let options: NetworkOptions

    public init(database: Database, options: NetworkOptions = NetworkOptions()) {
        self.database = database
        self.options = options
    }

    /// `AND column IN (values)`, or a condition no row meets when `values` is empty (PostgreSQL refuses `IN ()`).
    static func among(_ column: String, _ values: [String]) -> SQLQueryString {
        values.isEmpty ? " AND 1 = 0" : " AND \(unsafeRaw: column) IN (\(binds: values))"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ row: any SQLRow) throws -> T {
        try StoredJSON.decode(type, try row.string("data"))
    }

    static func rows<T: Decodable>(_ type: T.Type, _ query: SQLQueryString, in sql: any SQLDatabase) async throws
        -> [T]
    {
        try await sql.raw(query).all().map { try decode(type, $0) }
    }

    // MARK: Networks

    /// Stores a new network, giving it a segmentation id from the configured range when it needs one.
    public func createNetwork(_ network: Network) async throws -> Network {
        try await database.write { sql in
            try await self.checkQuota("network", table: "networks", project: network.projectID, in: sql)
            var network = network
            try await self.allocateSegment(&network.segment, in: sql)
            try await Self.insert(network, in: sql)
            return network
        }
    }

    func allocateSegment(_ segment: inout Segment, in sql: any SQLDatabase) async throws {
        if segment.segmentationID == nil,
            let range = options.segmentationRange(segment.networkType, physicalNetwork: segment.physicalNetwork)
        {
            let prefix = Segment(
                networkType: segment.networkType, physicalNetwork: segment.physicalNetwork, segmentationID: 0
            ).uniqueKey!.dropLast()
            let used = Set(
                try await sql.raw("SELECT segment_key FROM networks WHERE segment_key LIKE \(bind: prefix + "%")")
                    .all().compactMap { Int(try $0.string("segment_key").dropFirst(prefix.count)) })
            guard let free = range.first(where: { !used.contains($0) }) else {
                throw NovaError(
                    .noNetworkAvailable,
                    "Unable to create the network. No tenant network is available for allocation.")
            }
            segment.segmentationID = free
        }
        if let key = segment.uniqueKey,
            try await sql.raw("SELECT id FROM networks WHERE segment_key = \(bind: key)").first() != nil
        {
            let what =
                segment.networkType == "flat"
                ? "physical network \(segment.physicalNetwork ?? "")"
                : "segmentation id \(segment.segmentationID ?? 0)"
            throw NovaError(
                NovaError.Code(status: 409, name: "SegmentInUse"),
                "Unable to create the network. The \(segment.networkType) \(what) is in use.")
        }
    }

    static func insert(_ network: Network, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO networks (id, project_id, name, shared, external, segment_key, created_at, data)
            VALUES (\(bind: network.id), \(bind: network.projectID), \(bind: network.name),
              \(bind: network.shared ? 1 : 0), \(bind: network.external ? 1 : 0), \(bind: network.segment.uniqueKey),
              \(bind: network.standard.createdAt.stored), \(bind: try StoredJSON.encode(network)))
            """
        ).run()
    }

    public func network(id: String) async throws -> Network? {
        try await database.read { sql in
            try await Self.rows(Network.self, "SELECT data FROM networks WHERE id = \(bind: id)", in: sql).first
        }
    }

    /// Networks in creation order; `visibleTo` keeps a member's own, shared and external networks.
    public func networks(ids: [String]? = nil, visibleTo project: String? = nil) async throws -> [Network] {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM networks WHERE 1 = 1")
            if let ids { query += Self.among("id", ids) }
            if let project { query += " AND (project_id = \(bind: project) OR shared = 1 OR external = 1)" }
            query += " ORDER BY created_at, id"
            return try await Self.rows(Network.self, query, in: sql)
        }
    }

    /// Reads, changes and stores one network in a transaction.
    public func updateNetwork(id: String, _ body: @Sendable (inout Network) throws -> Void) async throws -> (
        old: Network, new: Network
    ) {
        try await database.write(lockingOnly: ["network:" + id]) { sql in
            guard
                let old = try await Self.rows(Network.self, "SELECT data FROM networks WHERE id = \(bind: id)", in: sql)
                    .first
            else { throw NovaError(.networkNotFound, "Network \(id) could not be found.") }
            var network = old
            try body(&network)
            try await sql.raw(
                """
                UPDATE networks SET name = \(bind: network.name), shared = \(bind: network.shared ? 1 : 0),
                  external = \(bind: network.external ? 1 : 0), data = \(bind: try StoredJSON.encode(network))
                WHERE id = \(bind: id)
                """
            ).run()
            return (old, network)
        }
    }

    /// Deletes a network with its subnets and its DHCP and metadata ports; 409 NetworkInUse while any other
    /// port (a server's, a router's, a floating IP's) is on it.
    public func deleteNetwork(id: String) async throws -> Network {
        try await database.write(lockingOnly: ["network:" + id]) { sql in
            guard
                let network = try await Self.rows(
                    Network.self, "SELECT data FROM networks WHERE id = \(bind: id)", in: sql
                ).first
            else { throw NovaError(.networkNotFound, "Network \(id) could not be found.") }
            let users = try await sql.raw(
                """
                SELECT id FROM ports WHERE network_id = \(bind: id)
                  AND device_owner NOT IN ('network:dhcp', 'network:distributed')
                """
            ).first()
            if users != nil {
                throw NovaError(
                    .networkInUse,
                    "Unable to complete operation on network \(id). There are one or more ports still in use on the network."
                )
            }
            try await sql.raw("DELETE FROM ports WHERE network_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM subnets WHERE network_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM networks WHERE id = \(bind: id)").run()
            return network
        }
    }

    // MARK: Subnets

    /// Stores a new subnet; 400 when its CIDR overlaps another subnet of the network.
    public func createSubnet(_ subnet: Subnet) async throws -> Subnet {
        try await database.write(lockingOnly: ["network:" + subnet.networkID, "netproject:" + subnet.projectID]) {
            sql in
            try await self.checkQuota("subnet", table: "subnets", project: subnet.projectID, in: sql)
            guard
                try await sql.raw("SELECT id FROM networks WHERE id = \(bind: subnet.networkID)").first() != nil
            else { throw NovaError(.networkNotFound, "Network \(subnet.networkID) could not be found.") }
            let siblings = try await Self.rows(
                Subnet.self, "SELECT data FROM subnets WHERE network_id = \(bind: subnet.networkID)", in: sql)
            if let range = subnet.network,
                let other = siblings.first(where: { $0.network.map(range.overlaps) ?? false })
            {
                throw NovaError.invalidInput(
                    "Requested subnet with cidr: \(subnet.cidr) for network: \(subnet.networkID) overlaps with another subnet (\(other.cidr))"
                )
            }
            try await Self.save(subnet, in: sql, inserting: true)
            return subnet
        }
    }

    static func save(_ subnet: Subnet, in sql: any SQLDatabase, inserting: Bool) async throws {
        if inserting {
            try await sql.raw(
                """
                INSERT INTO subnets (id, network_id, project_id, name, created_at, data)
                VALUES (\(bind: subnet.id), \(bind: subnet.networkID), \(bind: subnet.projectID), \(bind: subnet.name),
                  \(bind: subnet.standard.createdAt.stored), \(bind: try StoredJSON.encode(subnet)))
                """
            ).run()
        } else {
            try await sql.raw(
                """
                UPDATE subnets SET name = \(bind: subnet.name), data = \(bind: try StoredJSON.encode(subnet))
                WHERE id = \(bind: subnet.id)
                """
            ).run()
        }
    }

    public func subnet(id: String) async throws -> Subnet? {
        try await database.read { sql in
            try await Self.rows(Subnet.self, "SELECT data FROM subnets WHERE id = \(bind: id)", in: sql).first
        }
    }

    /// Subnets in creation order, of the given networks when named.
    public func subnets(ids: [String]? = nil, networkIDs: [String]? = nil) async throws -> [Subnet] {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM subnets WHERE 1 = 1")
            if let ids { query += Self.among("id", ids) }
            if let networkIDs { query += Self.among("network_id", networkIDs) }
            query += " ORDER BY created_at, id"
            return try await Self.rows(Subnet.self, query, in: sql)
        }
    }

    public func updateSubnet(id: String, _ body: @Sendable (inout Subnet) throws -> Void) async throws -> (
        old: Subnet, new: Subnet
    ) {
        guard let current = try await subnet(id: id) else {
            throw NovaError(.subnetNotFound, "Subnet \(id) could not be found.")
        }
        return try await database.write(lockingOnly: ["network:" + current.networkID]) { sql in
            guard
                let old = try await Self.rows(Subnet.self, "SELECT data FROM subnets WHERE id = \(bind: id)", in: sql)
                    .first
            else { throw NovaError(.subnetNotFound, "Subnet \(id) could not be found.") }
            var subnet = old
            try body(&subnet)
            try await Self.save(subnet, in: sql, inserting: false)
            return (old, subnet)
        }
    }

    /// Deletes a subnet; 409 SubnetInUse while a port other than a DHCP or metadata port has an address on it
    /// (those lose theirs).
    public func deleteSubnet(id: String) async throws -> Subnet {
        guard let current = try await subnet(id: id) else {
            throw NovaError(.subnetNotFound, "Subnet \(id) could not be found.")
        }
        return try await database.write(lockingOnly: ["network:" + current.networkID]) { sql in
            let users = try await sql.raw(
                """
                SELECT a.port_id FROM ip_allocations a JOIN ports p ON p.id = a.port_id
                WHERE a.subnet_id = \(bind: id) AND p.device_owner NOT IN ('network:dhcp', 'network:distributed')
                """
            ).first()
            if users != nil {
                throw NovaError(
                    .subnetInUse,
                    "Unable to complete operation on subnet \(id): One or more ports have an IP allocation from this subnet."
                )
            }
            try await sql.raw("DELETE FROM ip_allocations WHERE subnet_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM subnets WHERE id = \(bind: id)").run()
            return current
        }
    }

    // MARK: First start

    /// Whether the first start's networks were made.
    public func isBootstrapped() async throws -> Bool {
        try await database.read { sql in
            try await sql.raw("SELECT singleton FROM network_bootstrap").first() != nil
        }
    }

    public func markBootstrapped(at date: Date) async throws {
        try await database.write { sql in
            try await sql.raw(
                "INSERT INTO network_bootstrap (singleton, done_at) VALUES (1, \(bind: date.stored)) ON CONFLICT DO NOTHING"
            ).run()
        }
    }

    // MARK: Quotas

    /// 409 OverQuota when `project` already has its limit of `resource` (the rows of `table` it owns).
    func checkQuota(_ resource: String, table: String, project: String, in sql: any SQLDatabase) async throws {
        let limit = try await Self.limit(resource, project: project, default: options.defaultQuotas[resource], in: sql)
        guard limit >= 0 else { return }
        let used =
            try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE project_id = \(bind: project)")
            .first()?.int("n") ?? 0
        if used >= limit {
            throw NovaError(.overQuota, "Quota exceeded for resources: ['\(resource)'].")
        }
    }
}
