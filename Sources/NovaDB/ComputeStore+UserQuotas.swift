import Foundation
import NovaCore
import SQLKit

/// Per-user quotas (Nova's project_user_quotas): limits of one user within a project, over the project's.
extension ComputeStore {
    /// The limits `userID` has in `projectID`: the project's, with the user's own where set.
    public func quotaLimits(projectID: String, userID: String) async throws -> QuotaLimits {
        var limits = try await quotaLimits(projectID: projectID)
        for (resource, limit) in try await userQuotas(projectID: projectID, userID: userID) {
            limits.overrides[resource] = limit
        }
        return limits
    }

    /// The limits set for the user itself, by resource name.
    public func userQuotas(projectID: String, userID: String) async throws -> [String: Int] {
        try await database.read { sql in
            var limits: [String: Int] = [:]
            for row in try await sql.raw(
                """
                SELECT resource, hard_limit FROM user_quotas
                WHERE project_id = \(bind: projectID) AND user_id = \(bind: userID)
                """
            ).all() {
                limits[try row.string("resource")] = try row.int("hard_limit")
            }
            return limits
        }
    }

    /// The sum of every user's own limit in the project, by resource name (what a project limit leaves).
    public func userQuotaTotals(projectID: String) async throws -> [String: Int] {
        try await database.read { sql in
            var totals: [String: Int] = [:]
            for row in try await sql.raw(
                """
                SELECT resource, CAST(SUM(hard_limit) AS BIGINT) AS total FROM user_quotas
                WHERE project_id = \(bind: projectID) AND hard_limit >= 0 GROUP BY resource
                """
            ).all() {
                totals[try row.string("resource")] = try row.int("total")
            }
            return totals
        }
    }

    public func setUserQuotas(projectID: String, userID: String, _ limits: [QuotaResource: Int]) async throws {
        try await database.write { sql in
            for (resource, limit) in limits {
                try await sql.raw(
                    """
                    INSERT INTO user_quotas (project_id, user_id, resource, hard_limit)
                    VALUES (\(bind: projectID), \(bind: userID), \(bind: resource.rawValue), \(bind: limit))
                    ON CONFLICT (project_id, user_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit
                    """
                ).run()
            }
        }
    }

    /// Removes the user's own limits: the project's apply again.
    public func deleteUserQuotas(projectID: String, userID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                "DELETE FROM user_quotas WHERE project_id = \(bind: projectID) AND user_id = \(bind: userID)"
            ).run()
        }
    }
}
