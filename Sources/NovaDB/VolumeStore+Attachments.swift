import Foundation
import NovaCore
import SQLKit
import VolumeCore

extension VolumeStore {
    /// Stores a new attachment and the volume's new status in one transaction; `rule` decides from the volume
    /// and its other attachments (and may refuse).
    public func createAttachment(
        _ attachment: VolumeAttachment, rule: @Sendable (inout Volume, Related) throws -> Void
    ) async throws -> (VolumeAttachment, Volume) {
        try await database.write(lockingOnly: ["volume:" + attachment.volumeID]) { sql in
            guard var volume = try await Self.volume(id: attachment.volumeID, in: sql) else {
                throw NovaError.volumeNotFound(attachment.volumeID)
            }
            try rule(&volume, try await Self.related(volume.id, in: sql))
            try await Self.insert(attachment, in: sql)
            try await Self.save(volume, in: sql)
            return (attachment, volume)
        }
    }

    static func insert(_ attachment: VolumeAttachment, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO volume_attachments (id, volume_id, project_id, instance_uuid, attach_status, created_at, data)
            VALUES (\(bind: attachment.id), \(bind: attachment.volumeID), \(bind: attachment.projectID),
              \(bind: attachment.instanceUUID), \(bind: attachment.attachStatus), \(bind: attachment.createdAt.stored),
              \(bind: try StoredJSON.encode(attachment)))
            """
        ).run()
    }

    public func attachment(id: String) async throws -> VolumeAttachment? {
        try await database.read { sql in try await Self.attachment(id: id, in: sql) }
    }

    static func attachment(id: String, in sql: any SQLDatabase) async throws -> VolumeAttachment? {
        try await rows(VolumeAttachment.self, "SELECT data FROM volume_attachments WHERE id = \(bind: id)", in: sql)
            .first
    }

    /// Attachments in creation order: a project's (nil: all), of some volumes or servers, in some statuses.
    public func attachments(
        project: String? = nil, volumeIDs: [String]? = nil, instanceUUIDs: [String]? = nil,
        statuses: [String]? = nil
    ) async throws -> [VolumeAttachment] {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM volume_attachments WHERE 1 = 1")
            if let project { query += " AND project_id = \(bind: project)" }
            if let volumeIDs { query += Self.among("volume_id", volumeIDs) }
            if let instanceUUIDs { query += Self.among("instance_uuid", instanceUUIDs) }
            if let statuses { query += Self.among("attach_status", statuses) }
            query += " ORDER BY created_at, id"
            return try await Self.rows(VolumeAttachment.self, query, in: sql)
        }
    }

    /// Changes an attachment and its volume together.
    @discardableResult
    public func updateAttachment(
        id: String, _ body: @Sendable (inout VolumeAttachment, inout Volume, Related) throws -> Void
    ) async throws -> (VolumeAttachment, Volume) {
        guard let current = try await attachment(id: id) else { throw NovaError.attachmentNotFound(id) }
        return try await database.write(lockingOnly: ["volume:" + current.volumeID]) { sql in
            guard var attachment = try await Self.attachment(id: id, in: sql),
                var volume = try await Self.volume(id: attachment.volumeID, in: sql)
            else { throw NovaError.attachmentNotFound(id) }
            try body(&attachment, &volume, try await Self.related(volume.id, in: sql))
            try await sql.raw(
                """
                UPDATE volume_attachments SET attach_status = \(bind: attachment.attachStatus),
                  instance_uuid = \(bind: attachment.instanceUUID), data = \(bind: try StoredJSON.encode(attachment))
                WHERE id = \(bind: id)
                """
            ).run()
            try await Self.save(volume, in: sql)
            return (attachment, volume)
        }
    }

    /// Removes an attachment; `body` sets the volume's status from the attachments left.
    @discardableResult
    public func deleteAttachment(id: String, _ body: @Sendable (inout Volume, Related) throws -> Void) async throws
        -> Volume
    {
        guard let current = try await attachment(id: id) else { throw NovaError.attachmentNotFound(id) }
        return try await database.write(lockingOnly: ["volume:" + current.volumeID]) { sql in
            guard var volume = try await Self.volume(id: current.volumeID, in: sql) else {
                throw NovaError.volumeNotFound(current.volumeID)
            }
            try await sql.raw("DELETE FROM volume_attachments WHERE id = \(bind: id)").run()
            try body(&volume, try await Self.related(volume.id, in: sql))
            try await Self.save(volume, in: sql)
            return volume
        }
    }
}
