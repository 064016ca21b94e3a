import Foundation
import NovaCore
import SQLKit
import VolumeCore

/// The volume service's tables: volumes, snapshots, attachments, volume types and quotas. Every decision
/// that races (a quota, a status a step starts from, "attached" or "has snapshots") is taken inside the write
/// transaction that stores its result.
public final class VolumeStore: Sendable {
    public let database: Database
    public let options: VolumeOptions

    public init(database: Database, options: VolumeOptions = VolumeOptions()) {
        self.database = database
        self.options = options
    }

    static func among(_ column: String, _ values: [String]) -> SQLQueryString {
        NetworkStore.among(column, values)
    }

    static func rows<T: Decodable>(_ type: T.Type, _ query: SQLQueryString, in sql: any SQLDatabase) async throws
        -> [T]
    {
        try await sql.raw(query).all().map { try StoredJSON.decode(type, try $0.string("data")) }
    }

    // MARK: Volumes

    /// Stores a new volume (status `creating`) after the project's quotas allow it.
    public func createVolume(_ volume: Volume) async throws -> Volume {
        try await database.write(lockingOnly: ["volume-quota:" + volume.projectID]) { sql in
            try await self.checkQuota(project: volume.projectID, volumes: 1, gigabytes: volume.size, in: sql)
            try await Self.insert(volume, in: sql)
            return volume
        }
    }

    static func insert(_ volume: Volume, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO volumes (id, project_id, name, status, type_id, size, created_at, data)
            VALUES (\(bind: volume.id), \(bind: volume.projectID), \(bind: volume.name), \(bind: volume.status),
              \(bind: volume.volumeTypeID), \(bind: volume.size), \(bind: volume.createdAt.stored),
              \(bind: try StoredJSON.encode(volume)))
            """
        ).run()
    }

    public func volume(id: String) async throws -> Volume? {
        try await database.read { sql in try await Self.volume(id: id, in: sql) }
    }

    static func volume(id: String, in sql: any SQLDatabase) async throws -> Volume? {
        try await rows(Volume.self, "SELECT data FROM volumes WHERE id = \(bind: id)", in: sql).first
    }

    /// Volumes in creation order: a project's (nil: every project's), or those of `ids`, or in `statuses`.
    public func volumes(project: String? = nil, ids: [String]? = nil, statuses: [String]? = nil) async throws
        -> [Volume]
    {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM volumes WHERE 1 = 1")
            if let project { query += " AND project_id = \(bind: project)" }
            if let ids { query += Self.among("id", ids) }
            if let statuses { query += Self.among("status", statuses) }
            query += " ORDER BY created_at, id"
            return try await Self.rows(Volume.self, query, in: sql)
        }
    }

    /// What a rule about a volume must know besides the volume: its attachments and how many snapshots it has.
    public struct Related: Sendable {
        public var attachments: [VolumeAttachment]
        public var snapshotCount: Int
    }

    /// Reads, changes and stores one volume in a transaction; `body` may refuse the change by throwing.
    @discardableResult
    public func updateVolume(
        id: String, _ body: @Sendable (inout Volume, Related) throws -> Void
    ) async throws -> (old: Volume, new: Volume) {
        try await database.write(lockingOnly: ["volume:" + id]) { sql in
            guard let old = try await Self.volume(id: id, in: sql) else { throw NovaError.volumeNotFound(id) }
            var volume = old
            try body(&volume, try await Self.related(id, in: sql))
            try await Self.save(volume, in: sql)
            return (old, volume)
        }
    }

    /// Grows a volume by `adding` GiB within the project's gigabytes quota (an extend).
    @discardableResult
    public func growVolume(
        id: String, adding: Int, _ body: @Sendable (inout Volume, Related) throws -> Void
    ) async throws -> Volume {
        guard let current = try await volume(id: id) else { throw NovaError.volumeNotFound(id) }
        return try await database.write(lockingOnly: ["volume:" + id, "volume-quota:" + current.projectID]) { sql in
            guard var volume = try await Self.volume(id: id, in: sql) else { throw NovaError.volumeNotFound(id) }
            try body(&volume, try await Self.related(id, in: sql))
            try await self.checkQuota(project: volume.projectID, volumes: 0, gigabytes: adding, in: sql)
            try await Self.save(volume, in: sql)
            return volume
        }
    }

    static func related(_ id: String, in sql: any SQLDatabase) async throws -> Related {
        let attachments = try await rows(
            VolumeAttachment.self,
            "SELECT data FROM volume_attachments WHERE volume_id = \(bind: id) ORDER BY created_at, id", in: sql)
        let snapshots =
            try await sql.raw("SELECT COUNT(*) AS n FROM volume_snapshots WHERE volume_id = \(bind: id)").first()?
            .int("n") ?? 0
        return Related(attachments: attachments, snapshotCount: snapshots)
    }

    static func save(_ volume: Volume, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE volumes SET name = \(bind: volume.name), status = \(bind: volume.status),
              type_id = \(bind: volume.volumeTypeID), size = \(bind: volume.size),
              data = \(bind: try StoredJSON.encode(volume))
            WHERE id = \(bind: volume.id)
            """
        ).run()
    }

    /// Removes a volume's row (its data is gone); its detached attachments' rows go with it.
    public func deleteVolume(id: String) async throws {
        try await database.write(lockingOnly: ["volume:" + id]) { sql in
            try await sql.raw("DELETE FROM volume_attachments WHERE volume_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM volumes WHERE id = \(bind: id)").run()
        }
    }
}
