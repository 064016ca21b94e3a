import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    /// A project's limits: its own, else the `default` quota class's, else the built-in defaults.
    public func quotaLimits(projectID: String) async throws -> QuotaLimits {
        try await database.read { sql in
            var overrides = try await Self.classLimits(QuotaLimits.defaultClass, in: sql)
            for row in try await sql.raw(
                "SELECT resource, hard_limit FROM quotas WHERE project_id = \(bind: projectID)"
            ).all() {
                overrides[try row.string("resource")] = try row.int("hard_limit")
            }
            return QuotaLimits(overrides: overrides)
        }
    }

    public func setQuotas(projectID: String, _ limits: [QuotaResource: Int]) async throws {
        try await database.write { sql in
            for (resource, limit) in limits {
                try await sql.raw(
                    """
                    INSERT INTO quotas (project_id, resource, hard_limit) VALUES (\(bind: projectID), \(bind: resource.rawValue), \(bind: limit))
                    ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit
                    """
                ).run()
            }
        }
    }

    /// A quota class's limits: the stored ones over the built-in defaults.
    public func quotaClassLimits(_ name: String) async throws -> QuotaLimits {
        try await database.read { sql in QuotaLimits(overrides: try await Self.classLimits(name, in: sql)) }
    }

    /// Stores limits of a class by resource name (the names of the quotas Nova dropped with nova-network
    /// too, which the class API still carries below 2.50).
    public func setQuotaClass(_ name: String, _ limits: [String: Int]) async throws {
        try await database.write { sql in
            for (resource, limit) in limits {
                try await sql.raw(
                    """
                    INSERT INTO quota_classes (class_name, resource, hard_limit) VALUES (\(bind: name), \(bind: resource), \(bind: limit))
                    ON CONFLICT (class_name, resource) DO UPDATE SET hard_limit = excluded.hard_limit
                    """
                ).run()
            }
        }
    }

    static func classLimits(_ name: String, in sql: any SQLDatabase) async throws -> [String: Int] {
        var limits: [String: Int] = [:]
        for row in try await sql.raw(
            "SELECT resource, hard_limit FROM quota_classes WHERE class_name = \(bind: name)"
        ).all() {
            limits[try row.string("resource")] = try row.int("hard_limit")
        }
        return limits
    }

    public func deleteQuotas(projectID: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM quotas WHERE project_id = \(bind: projectID)").run()
            try await sql.raw("DELETE FROM user_quotas WHERE project_id = \(bind: projectID)").run()
        }
    }

    public func keyPairCount(userID: String) async throws -> Int {
        try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM key_pairs WHERE user_id = \(bind: userID)").first()?.int("n")
                ?? 0
        }
    }
}
