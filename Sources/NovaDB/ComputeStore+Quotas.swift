import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    public func quotaLimits(projectID: String) async throws -> QuotaLimits {
        try await database.read { sql in
            var overrides: [String: Int] = [:]
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

    public func deleteQuotas(projectID: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM quotas WHERE project_id = \(bind: projectID)").run()
        }
    }

    public func keyPairCount(userID: String) async throws -> Int {
        try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM key_pairs WHERE user_id = \(bind: userID)").first()?.int("n")
                ?? 0
        }
    }
}
