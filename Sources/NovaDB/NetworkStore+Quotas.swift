import Foundation
import NetworkCore
import NovaCore
import SQLKit

extension NetworkStore {
    /// The tables whose rows count against each quota resource.
    static let quotaTables = [
        "network": "networks", "subnet": "subnets", "port": "ports", "security_group": "security_groups",
        "security_group_rule": "security_group_rules", "router": "routers", "floatingip": "floating_ips",
    ]

    static func limit(_ resource: String, project: String, default fallback: Int?, in sql: any SQLDatabase)
        async throws -> Int
    {
        let row = try await sql.raw(
            "SELECT hard_limit FROM network_quotas WHERE project_id = \(bind: project) AND resource = \(bind: resource)"
        ).first()
        return try row?.int("hard_limit") ?? fallback ?? -1
    }

    /// A project's limits: its own where set, the configured defaults elsewhere.
    public func quotaLimits(project: String) async throws -> [String: Int] {
        try await database.read { sql in
            var limits = options.defaultQuotas
            for row in try await sql.raw(
                "SELECT resource, hard_limit FROM network_quotas WHERE project_id = \(bind: project)"
            ).all() {
                limits[try row.string("resource")] = try row.int("hard_limit")
            }
            return limits
        }
    }

    /// How many of each resource the project has.
    public func quotaUsage(project: String) async throws -> [String: Int] {
        try await database.read { sql in
            var usage: [String: Int] = [:]
            for resource in NetworkQuota.resources {
                guard let table = Self.quotaTables[resource] else {
                    usage[resource] = 0
                    continue
                }
                usage[resource] =
                    try await sql.raw(
                        "SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE project_id = \(bind: project)"
                    ).first()?.int("n") ?? 0
            }
            return usage
        }
    }

    /// Projects with limits of their own.
    public func projectsWithQuotas() async throws -> [String] {
        try await database.read { sql in
            try await sql.raw("SELECT DISTINCT project_id FROM network_quotas ORDER BY project_id").all().map {
                try $0.string("project_id")
            }
        }
    }

    public func setQuotaLimits(project: String, _ limits: [String: Int]) async throws {
        try await database.write { sql in
            for (resource, limit) in limits {
                try await sql.raw(
                    """
                    INSERT INTO network_quotas (project_id, resource, hard_limit)
                    VALUES (\(bind: project), \(bind: resource), \(bind: limit))
                    ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit
                    """
                ).run()
            }
        }
    }

    public func deleteQuotaLimits(project: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM network_quotas WHERE project_id = \(bind: project)").run()
        }
    }
}
