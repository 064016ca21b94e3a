import Foundation
import NovaCore
import SQLKit
import VolumeCore

extension VolumeStore {
    /// A project's limits: its own where set, the configured defaults elsewhere.
    public func quotaLimits(project: String) async throws -> [String: Int] {
        try await database.read { sql in try await self.limits(project: project, in: sql) }
    }

    func limits(project: String, in sql: any SQLDatabase) async throws -> [String: Int] {
        var limits = options.defaultQuotas
        for row in try await sql.raw(
            "SELECT resource, hard_limit FROM volume_quotas WHERE project_id = \(bind: project)"
        ).all() {
            limits[try row.string("resource")] = try row.int("hard_limit")
        }
        return limits
    }

    /// How much of each resource the project uses (snapshots count against `gigabytes` too, as in Cinder).
    public func quotaUsage(project: String) async throws -> [String: Int] {
        try await database.read { sql in try await self.usage(project: project, in: sql) }
    }

    func usage(project: String, in sql: any SQLDatabase) async throws -> [String: Int] {
        let volumes = try await sql.raw(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS g FROM volumes WHERE project_id = \(bind: project)"
        ).first()
        let snapshots = try await sql.raw(
            """
            SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS g FROM volume_snapshots
            WHERE project_id = \(bind: project)
            """
        ).first()
        var usage = Dictionary(uniqueKeysWithValues: VolumeQuota.resources.map { ($0, 0) })
        usage["volumes"] = try volumes?.int("n") ?? 0
        usage["snapshots"] = try snapshots?.int("n") ?? 0
        usage["gigabytes"] = (try volumes?.int("g") ?? 0).saturatingAdd(try snapshots?.int("g") ?? 0)
        return usage
    }

    /// Refuses what would take the project past a limit (checked where the result is stored).
    func checkQuota(
        project: String, volumes: Int = 0, snapshots: Int = 0, gigabytes: Int, in sql: any SQLDatabase
    ) async throws {
        let limits = try await limits(project: project, in: sql)
        let usage = try await usage(project: project, in: sql)
        for (resource, adding) in [("volumes", volumes), ("snapshots", snapshots), ("gigabytes", gigabytes)] {
            try VolumeQuota.check(resource, limit: limits[resource] ?? -1, used: usage[resource] ?? 0, adding: adding)
        }
    }

    /// Sets some of a project's limits.
    public func setQuotas(project: String, _ limits: [String: Int]) async throws {
        try await database.write(lockingOnly: ["volume-quota:" + project]) { sql in
            for (resource, limit) in limits {
                try await sql.raw(
                    "DELETE FROM volume_quotas WHERE project_id = \(bind: project) AND resource = \(bind: resource)"
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO volume_quotas (project_id, resource, hard_limit)
                    VALUES (\(bind: project), \(bind: resource), \(bind: limit))
                    """
                ).run()
            }
        }
    }

    /// Back to the defaults.
    public func deleteQuotas(project: String) async throws {
        try await database.write(lockingOnly: ["volume-quota:" + project]) { sql in
            try await sql.raw("DELETE FROM volume_quotas WHERE project_id = \(bind: project)").run()
        }
    }
}
