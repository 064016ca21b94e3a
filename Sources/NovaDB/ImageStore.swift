import Foundation
import NovaCore
import SQLKit

/// An image record (Glance v2).
public struct ImageRecord: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var status: String
    public var visibility: String
    public var owner: String?
    public var diskFormat: String?
    public var containerFormat: String?
    public var size: Int?
    public var virtualSize: Int?
    public var checksum: String?
    public var hashAlgorithm: String?
    public var hashValue: String?
    public var minDisk: Int
    public var minRAM: Int
    public var protected: Bool
    /// Glance's `os_hidden`: left out of image lists unless asked for.
    public var hidden: Bool = false
    public var properties: [String: String]
    public var tags: [String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, name: String?, owner: String?, visibility: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.status = "queued"
        self.visibility = visibility
        self.owner = owner
        self.minDisk = 0
        self.minRAM = 0
        self.protected = false
        self.properties = [:]
        self.tags = []
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

/// Glance's image table.
public final class ImageStore: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    static func record(from row: any SQLRow) throws -> ImageRecord {
        var image = ImageRecord(
            id: try row.string("id"), name: try row.optionalString("name"), owner: try row.optionalString("owner"),
            visibility: try row.string("visibility"), createdAt: try row.date("created_at"))
        image.status = try row.string("status")
        image.diskFormat = try row.optionalString("disk_format")
        image.containerFormat = try row.optionalString("container_format")
        image.size = try row.optionalInt("size")
        image.virtualSize = try row.optionalInt("virtual_size")
        image.checksum = try row.optionalString("checksum")
        image.hashAlgorithm = try row.optionalString("os_hash_algo")
        image.hashValue = try row.optionalString("os_hash_value")
        image.minDisk = try row.int("min_disk")
        image.minRAM = try row.int("min_ram")
        image.protected = try row.bool("protected")
        image.hidden = try row.bool("os_hidden")
        image.properties = try StoredJSON.decode([String: String].self, try row.string("properties"))
        image.tags = try StoredJSON.decode([String].self, try row.string("tags"))
        image.updatedAt = try row.date("updated_at")
        return image
    }

    public func save(_ image: ImageRecord) async throws {
        try await database.write { sql in try await Self.save(image, in: sql) }
    }

    static func save(_ image: ImageRecord, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO images (id, name, status, visibility, owner, disk_format, container_format, size, virtual_size,
              checksum, os_hash_algo, os_hash_value, min_disk, min_ram, protected, properties, tags, created_at, updated_at,
              os_hidden)
            VALUES (\(bind: image.id), \(bind: image.name), \(bind: image.status), \(bind: image.visibility), \(bind: image.owner),
              \(bind: image.diskFormat), \(bind: image.containerFormat), \(bind: image.size), \(bind: image.virtualSize),
              \(bind: image.checksum), \(bind: image.hashAlgorithm), \(bind: image.hashValue), \(bind: image.minDisk),
              \(bind: image.minRAM), \(bind: image.protected ? 1 : 0), \(bind: try StoredJSON.encode(image.properties)),
              \(bind: try StoredJSON.encode(image.tags)), \(bind: image.createdAt.stored), \(bind: image.updatedAt.stored),
              \(bind: image.hidden ? 1 : 0))
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, visibility = excluded.visibility,
              owner = excluded.owner, disk_format = excluded.disk_format, container_format = excluded.container_format,
              size = excluded.size, virtual_size = excluded.virtual_size, checksum = excluded.checksum,
              os_hash_algo = excluded.os_hash_algo, os_hash_value = excluded.os_hash_value, min_disk = excluded.min_disk,
              min_ram = excluded.min_ram, protected = excluded.protected, properties = excluded.properties,
              tags = excluded.tags, updated_at = excluded.updated_at, os_hidden = excluded.os_hidden
            """
        ).run()
    }

    public func image(id: String) async throws -> ImageRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM images WHERE id = \(bind: id) AND status <> 'deleted'").first()
                .map(Self.record(from:))
        }
    }

    /// Creates the image only when no image with that id exists; returns whether it did.
    public func insertIfAbsent(_ image: ImageRecord) async throws -> Bool {
        try await database.write { sql in
            if try await sql.raw("SELECT id FROM images WHERE id = \(bind: image.id)").first() != nil { return false }
            try await Self.save(image, in: sql)
            return true
        }
    }

    /// Images newest first.
    public func images(ids: [String]? = nil, name: String? = nil, status: String? = nil) async throws -> [ImageRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM images WHERE status <> 'deleted'")
            if let ids { text += " AND id IN (\(binds: ids))" }
            if let name { text += " AND name = \(bind: name)" }
            if let status { text += " AND status = \(bind: status)" }
            text += " ORDER BY created_at DESC, id DESC"
            return try await sql.raw(text).all().map(Self.record(from:))
        }
    }

    /// Reads, changes and writes one image in a transaction.
    @discardableResult
    public func update(id: String, _ body: @Sendable @escaping (inout ImageRecord) throws -> Void) async throws
        -> ImageRecord
    {
        try await database.write { sql in
            guard
                let row = try await sql.raw("SELECT * FROM images WHERE id = \(bind: id) AND status <> 'deleted'")
                    .first()
            else { throw NovaError.notFound("No image found with ID \(id)") }
            var image = try Self.record(from: row)
            try body(&image)
            image.updatedAt = Date()
            try await Self.save(image, in: sql)
            return image
        }
    }

    public func delete(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM image_members WHERE image_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM images WHERE id = \(bind: id)").run()
        }
    }
}
