import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    static func service(from row: any SQLRow) throws -> ServiceRecord {
        ServiceRecord(
            id: try row.int("id"), uuid: try row.string("uuid"), host: try row.string("host"),
            binary: try row.string("binary_name"), topic: try row.string("topic"), zone: try row.string("zone"),
            disabled: try row.bool("disabled"), disabledReason: try row.optionalString("disabled_reason"),
            forcedDown: try row.bool("forced_down"), lastSeenUp: try row.optionalDate("last_seen_up"),
            createdAt: try row.date("created_at"), updatedAt: try row.optionalDate("updated_at"))
    }

    public func services(host: String? = nil, binary: String? = nil) async throws -> [ServiceRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM services WHERE 1 = 1")
            if let host { text += " AND host = \(bind: host)" }
            if let binary { text += " AND binary_name = \(bind: binary)" }
            text += " ORDER BY id"
            let services = try await sql.raw(text).all().map(Self.service(from:))
            return Self.applyZones(services, try await Self.loadAggregates(in: sql))
        }
    }

    /// A compute host's availability zone is that of an aggregate it belongs to, else the default zone.
    static func applyZones(_ services: [ServiceRecord], _ aggregates: [Aggregate]) -> [ServiceRecord] {
        let zoned = aggregates.filter { $0.availabilityZone != nil }
        guard !zoned.isEmpty else { return services }
        return services.map { service in
            var service = service
            if service.binary == "nova-compute",
                let zone = zoned.first(where: { $0.hosts.contains(service.host) })?.availabilityZone
            {
                service.zone = zone
            }
            return service
        }
    }

    /// Changes a service's status fields; returns the new record.
    public func updateService(id: Int, _ body: @Sendable @escaping (inout ServiceRecord) throws -> Void) async throws
        -> ServiceRecord
    {
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM services WHERE id = \(bind: id)").first() else {
                throw NovaError.notFound("Service \(id) could not be found.")
            }
            var service = try Self.service(from: row)
            try body(&service)
            try await sql.raw(
                """
                UPDATE services SET disabled = \(bind: service.disabled ? 1 : 0), disabled_reason = \(bind: service.disabledReason),
                  forced_down = \(bind: service.forcedDown ? 1 : 0), updated_at = \(bind: Date().stored) WHERE id = \(bind: id)
                """
            ).run()
            return service
        }
    }

    public func deleteService(id: Int) async throws {
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM services WHERE id = \(bind: id)").first() else {
                throw NovaError.notFound("Service \(id) could not be found.")
            }
            let service = try Self.service(from: row)
            if service.binary == "nova-compute" {
                let used = try await sql.raw(
                    """
                    SELECT COUNT(*) AS n FROM instances WHERE host = \(bind: service.host) AND deleted = 0
                    """
                ).first()
                if try used?.int("n") ?? 0 > 0 {
                    throw NovaError.conflict(
                        "Unable to delete compute service that is hosting instances. Migrate or delete the instances first."
                    )
                }
                try await sql.raw("DELETE FROM compute_nodes WHERE host = \(bind: service.host)").run()
            }
            try await sql.raw("DELETE FROM services WHERE id = \(bind: id)").run()
        }
    }

    public func heartbeat(host: String, binary: String, topic: String, zone: String, at date: Date) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO services (uuid, host, binary_name, topic, zone, disabled, forced_down, last_seen_up,
                  report_count, created_at, updated_at)
                VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: host), \(bind: binary), \(bind: topic), \(bind: zone),
                  0, 0, \(bind: date.stored), 1, \(bind: date.stored), \(bind: date.stored))
                ON CONFLICT (host, binary_name) DO UPDATE SET last_seen_up = excluded.last_seen_up,
                  report_count = services.report_count + 1
                """
            ).run()
        }
    }

    public func updateComputeNode(_ report: ComputeNodeReport, at date: Date) async throws {
        let data = try StoredJSON.encode(report)
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO compute_nodes (uuid, host, hypervisor_hostname, data, updated_at)
                VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: report.host), \(bind: report.hypervisorHostname),
                  \(bind: data), \(bind: date.stored))
                ON CONFLICT (hypervisor_hostname) DO UPDATE SET host = excluded.host, data = excluded.data,
                  updated_at = excluded.updated_at
                """
            ).run()
        }
    }

    /// Compute nodes with what is allocated on them.
    public func computeNodes() async throws -> [ComputeNodeRecord] {
        try await database.read { sql in try await Self.loadNodes(in: sql) }
    }

    static func loadNodes(in sql: any SQLDatabase, nodeID: Int? = nil) async throws -> [ComputeNodeRecord] {
        var text = SQLQueryString(
            """
            SELECT n.id, n.uuid, n.data, COALESCE(SUM(a.vcpus), 0) AS vcpus, COALESCE(SUM(a.memory_mb), 0) AS memory_mb,
              COALESCE(SUM(a.disk_gb), 0) AS disk_gb, COUNT(a.consumer_uuid) AS consumers
            FROM compute_nodes n LEFT JOIN allocations a ON a.node_id = n.id
            """)
        if let nodeID { text += " WHERE n.id = \(bind: nodeID)" }
        text += " GROUP BY n.id, n.uuid, n.data ORDER BY n.id"
        return try await sql.raw(text).all().map { row in
            ComputeNodeRecord(
                id: try row.int("id"), uuid: try row.string("uuid"),
                report: try StoredJSON.decode(ComputeNodeReport.self, try row.string("data")),
                used: Resources(
                    vcpus: try row.int("vcpus"), memoryMB: try row.int("memory_mb"), diskGB: try row.int("disk_gb")),
                instanceCount: try row.int("consumers"))
        }
    }
}

extension ComputeStore: SchedulerStore {
    public func hostStates(now: Date) async throws -> [HostState] {
        let nodes = try await computeNodes()
        let services = Dictionary(
            try await services(binary: "nova-compute").map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
        return nodes.compactMap { node in
            guard let service = services[node.report.host] else { return nil }
            return HostState(
                nodeID: node.id, host: node.report.host, nodename: node.report.hypervisorHostname, zone: service.zone,
                capacity: node.report.capacity, used: node.used, instanceCount: node.instanceCount,
                serviceDisabled: service.disabled, serviceUp: service.isUp(now: now, serviceDownTime: serviceDownTime))
        }
    }

    public func claim(consumer: String, projectID: String, userID: String, nodeID: Int, resources: Resources)
        async throws -> Bool
    {
        try await database.write { sql in
            guard let node = try await Self.loadNodes(in: sql, nodeID: nodeID).first else { return false }
            let capacity = node.report.capacity
            let after = node.used + resources
            guard after.vcpus <= capacity.vcpus, after.memoryMB <= capacity.memoryMB, after.diskGB <= capacity.diskGB
            else { return false }
            try await sql.raw(
                """
                INSERT INTO allocations (consumer_uuid, node_id, project_id, user_id, vcpus, memory_mb, disk_gb)
                VALUES (\(bind: consumer), \(bind: nodeID), \(bind: projectID), \(bind: userID), \(bind: resources.vcpus),
                  \(bind: resources.memoryMB), \(bind: resources.diskGB))
                ON CONFLICT (consumer_uuid) DO UPDATE SET node_id = excluded.node_id, vcpus = excluded.vcpus,
                  memory_mb = excluded.memory_mb, disk_gb = excluded.disk_gb
                """
            ).run()
            return true
        }
    }
}
