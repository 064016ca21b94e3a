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

    /// The availability zone of a compute host (nil: no such service).
    static func zone(ofHost host: String, in sql: any SQLDatabase) async throws -> String? {
        let services = try await sql.raw(
            "SELECT * FROM services WHERE host = \(bind: host) AND binary_name = 'nova-compute'"
        ).all().map(Self.service(from:))
        return applyZones(services, try await loadAggregates(in: sql)).first?.zone
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
            try await Self.hostStateChanged(sql)
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
            try await Self.hostStateChanged(sql)
        }
    }

    public func heartbeat(host: String, binary: String, topic: String, zone: String, at date: Date) async throws {
        try await database.write { sql in
            let row = try await sql.raw(
                """
                INSERT INTO services (uuid, host, binary_name, topic, zone, disabled, forced_down, last_seen_up,
                  report_count, created_at, updated_at)
                VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: host), \(bind: binary), \(bind: topic), \(bind: zone),
                  0, 0, \(bind: date.stored), 1, \(bind: date.stored), \(bind: date.stored))
                ON CONFLICT (host, binary_name) DO UPDATE SET last_seen_up = excluded.last_seen_up,
                  report_count = services.report_count + 1
                RETURNING report_count
                """
            ).first()
            // A first heartbeat is a new service: the scheduler's cached host state must be read again.
            if try row?.int("report_count") == 1 { try await Self.hostStateChanged(sql) }
        }
    }

    public func updateComputeNode(_ report: ComputeNodeReport, at date: Date) async throws -> ComputeNodeRegistration {
        let data = try StoredJSON.encode(report)
        return try await database.write { sql in
            let fresh = UUID().uuidString.lowercased()
            let node = try await sql.raw(
                """
                INSERT INTO compute_nodes (uuid, host, hypervisor_hostname, data, updated_at)
                VALUES (\(bind: fresh), \(bind: report.host), \(bind: report.hypervisorHostname),
                  \(bind: data), \(bind: date.stored))
                ON CONFLICT (hypervisor_hostname) DO UPDATE SET host = excluded.host, data = excluded.data,
                  updated_at = excluded.updated_at
                RETURNING uuid
                """
            ).first()
            // A node that got the fresh uuid is new: the scheduler's cached host state must be read again.
            if try node?.string("uuid") == fresh { try await Self.hostStateChanged(sql) }
            let service = try await sql.raw(
                """
                SELECT disabled FROM services WHERE host = \(bind: report.host) AND binary_name = 'nova-compute'
                """
            ).first()
            return ComputeNodeRegistration(
                nodeUUID: try node?.string("uuid") ?? "", serviceDisabled: try service?.bool("disabled") ?? false)
        }
    }

    /// Compute nodes as their hosts last reported them (usage lives in Placement).
    public func computeNodes() async throws -> [ComputeNodeRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT id, uuid, data FROM compute_nodes ORDER BY id").all().map { row in
                ComputeNodeRecord(
                    id: try row.int("id"), uuid: try row.string("uuid"),
                    report: try StoredJSON.decode(ComputeNodeReport.self, try row.string("data")), used: .zero,
                    instanceCount: 0)
            }
        }
    }
}

extension ComputeStore: SchedulerStore {
    public func hostStateVersion() async throws -> Int {
        try await database.read { sql in
            try await sql.raw("SELECT version FROM host_state WHERE singleton = 1").first()?.int("version") ?? 0
        }
    }

    /// Task states that load a host's I/O (nova/scheduler/host_manager.py _update_from_compute_node).
    static let ioTaskStates = [
        "spawning", "resize_migrating", "rebuilding", "resize_prep", "image_snapshot", "image_backup",
        "rescuing", "unshelving",
    ]

    public func hostStates(now: Date) async throws -> [HostState] {
        let nodes = try await computeNodes()
        let services = Dictionary(
            try await services(binary: "nova-compute").map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
        let aggregates = try await aggregates()
        let load = try await hostLoad()
        return nodes.compactMap { node in
            guard let service = services[node.report.host] else { return nil }
            var state = HostState(
                nodeUUID: node.uuid, host: node.report.host, nodename: node.report.hypervisorHostname,
                zone: service.zone, capacity: .zero, used: .zero, instanceCount: load[node.report.host]?.0 ?? 0,
                serviceDisabled: service.disabled, serviceUp: service.isUp(now: now, serviceDownTime: serviceDownTime))
            state.hypervisorType = node.report.hypervisorType
            state.hypervisorVersion = node.report.hypervisorVersion
            state.hostIP = node.report.hostIP
            state.ioOps = load[node.report.host]?.1 ?? 0
            state.failedBuilds = load[node.report.host]?.2 ?? 0
            state.aggregates = aggregates.filter { $0.hosts.contains(node.report.host) }.map(\.metadata)
            return state
        }
    }

    /// Per host: instances, instances in an I/O-heavy task, and builds that ended in ERROR in the last hour.
    func hostLoad() async throws -> [String: (Int, Int, Int)] {
        let since = Date().addingTimeInterval(-3600).stored
        return try await database.read { sql in
            var text = SQLQueryString(
                """
                SELECT host, COUNT(*) AS n,
                  SUM(CASE WHEN vm_state = 'building' OR task_state IN (
                """)
            for (index, state) in Self.ioTaskStates.enumerated() {
                if index > 0 { text += ", " }
                text += "\(bind: state)"
            }
            text += """
                ) THEN 1 ELSE 0 END) AS io,
                  SUM(CASE WHEN vm_state = 'error' AND created_at > \(bind: since) THEN 1 ELSE 0 END)
                    AS failed
                FROM instances WHERE deleted = 0 AND host IS NOT NULL GROUP BY host
                """
            var load: [String: (Int, Int, Int)] = [:]
            for row in try await sql.raw(text).all() {
                load[try row.string("host")] = (try row.int("n"), try row.int("io"), try row.int("failed"))
            }
            return load
        }
    }
}
