import Foundation
import NovaCore
import SQLKit
import VolumeCore

extension VolumeStore {
    /// Stores a new snapshot (status `creating`) if its volume allows one now and the quotas do.
    public func createSnapshot(
        _ snapshot: VolumeSnapshot, volumeRule: @Sendable (Volume, Related) throws -> Void
    ) async throws -> VolumeSnapshot {
        try await database.write(
            lockingOnly: ["volume:" + snapshot.volumeID, "volume-quota:" + snapshot.projectID]
        ) { sql in
            guard let volume = try await Self.volume(id: snapshot.volumeID, in: sql) else {
                throw NovaError.volumeNotFound(snapshot.volumeID)
            }
            try volumeRule(volume, try await Self.related(volume.id, in: sql))
            try await self.checkQuota(
                project: snapshot.projectID, snapshots: 1, gigabytes: snapshot.size, in: sql)
            try await sql.raw(
                """
                INSERT INTO volume_snapshots (id, volume_id, project_id, status, size, created_at, data)
                VALUES (\(bind: snapshot.id), \(bind: snapshot.volumeID), \(bind: snapshot.projectID),
                  \(bind: snapshot.status), \(bind: snapshot.size), \(bind: snapshot.createdAt.stored),
                  \(bind: try StoredJSON.encode(snapshot)))
                """
            ).run()
            return snapshot
        }
    }

    public func snapshot(id: String) async throws -> VolumeSnapshot? {
        try await database.read { sql in
            try await Self.rows(
                VolumeSnapshot.self, "SELECT data FROM volume_snapshots WHERE id = \(bind: id)", in: sql
            )
            .first
        }
    }

    /// Snapshots in creation order: a project's (nil: all), of some volumes, or in some statuses.
    public func snapshots(project: String? = nil, volumeIDs: [String]? = nil, statuses: [String]? = nil)
        async throws -> [VolumeSnapshot]
    {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM volume_snapshots WHERE 1 = 1")
            if let project { query += " AND project_id = \(bind: project)" }
            if let volumeIDs { query += Self.among("volume_id", volumeIDs) }
            if let statuses { query += Self.among("status", statuses) }
            query += " ORDER BY created_at, id"
            return try await Self.rows(VolumeSnapshot.self, query, in: sql)
        }
    }

    @discardableResult
    public func updateSnapshot(id: String, _ body: @Sendable (inout VolumeSnapshot) throws -> Void) async throws
        -> VolumeSnapshot
    {
        try await database.write(lockingOnly: ["snapshot:" + id]) { sql in
            guard
                var snapshot = try await Self.rows(
                    VolumeSnapshot.self, "SELECT data FROM volume_snapshots WHERE id = \(bind: id)", in: sql
                ).first
            else { throw NovaError.snapshotNotFound(id) }
            try body(&snapshot)
            try await sql.raw(
                """
                UPDATE volume_snapshots SET status = \(bind: snapshot.status),
                  data = \(bind: try StoredJSON.encode(snapshot))
                WHERE id = \(bind: id)
                """
            ).run()
            return snapshot
        }
    }

    public func deleteSnapshot(id: String) async throws {
        try await database.write(lockingOnly: ["snapshot:" + id]) { sql in
            try await sql.raw("DELETE FROM volume_snapshots WHERE id = \(bind: id)").run()
        }
    }
}
