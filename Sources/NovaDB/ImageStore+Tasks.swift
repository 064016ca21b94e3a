import Foundation
import NovaCore
import SQLKit

/// A Glance task: here, the `api_image_import` task each interoperable import runs.
public struct ImageTask: Sendable, Equatable {
    public var id: String
    public var type: String
    /// `pending`, `processing`, `success` or `failure`.
    public var status: String
    public var owner: String
    public var userID: String
    public var imageID: String?
    /// JSON text.
    public var input: String
    /// JSON text.
    public var result: String?
    public var message: String
    public var requestID: String
    public var createdAt: Date
    public var updatedAt: Date
    public var expiresAt: Date?

    public init(
        id: String, type: String, status: String, owner: String, userID: String, imageID: String?, input: String,
        requestID: String, now: Date
    ) {
        self.id = id
        self.type = type
        self.status = status
        self.owner = owner
        self.userID = userID
        self.imageID = imageID
        self.input = input
        self.result = nil
        self.message = ""
        self.requestID = requestID
        self.createdAt = now
        self.updatedAt = now
        self.expiresAt = nil
    }
}

extension ImageStore {
    static func task(from row: any SQLRow) throws -> ImageTask {
        var task = ImageTask(
            id: try row.string("id"), type: try row.string("type"), status: try row.string("status"),
            owner: try row.string("owner"), userID: try row.string("user_id"),
            imageID: try row.optionalString("image_id"), input: try row.string("input"),
            requestID: try row.string("request_id"), now: try row.date("created_at"))
        task.result = try row.optionalString("result")
        task.message = try row.string("message")
        task.updatedAt = try row.date("updated_at")
        task.expiresAt = try row.optionalDate("expires_at")
        return task
    }

    public func saveTask(_ task: ImageTask) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM image_tasks WHERE id = \(bind: task.id)").run()
            try await sql.raw(
                """
                INSERT INTO image_tasks (id, type, status, owner, user_id, image_id, input, result, message, request_id,
                  created_at, updated_at, expires_at)
                VALUES (\(bind: task.id), \(bind: task.type), \(bind: task.status), \(bind: task.owner),
                  \(bind: task.userID), \(bind: task.imageID), \(bind: task.input), \(bind: task.result),
                  \(bind: task.message), \(bind: task.requestID), \(bind: task.createdAt.stored),
                  \(bind: task.updatedAt.stored), \(bind: task.expiresAt?.stored))
                """
            ).run()
            // Glance keeps a finished task for 48 hours.
            try await sql.raw(
                "DELETE FROM image_tasks WHERE expires_at IS NOT NULL AND expires_at < \(bind: Date().stored)"
            ).run()
        }
    }

    public func task(id: String) async throws -> ImageTask? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM image_tasks WHERE id = \(bind: id)").first().map(Self.task(from:))
        }
    }

    /// Newest first; nil owner: every project's.
    public func tasks(owner: String? = nil, imageID: String? = nil) async throws -> [ImageTask] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM image_tasks WHERE 1 = 1")
            if let owner { text += " AND owner = \(bind: owner)" }
            if let imageID { text += " AND image_id = \(bind: imageID)" }
            return try await sql.raw(text + " ORDER BY created_at DESC, id DESC").all().map(Self.task(from:))
        }
    }
}

/// What a project's images use: how many, their bytes, and how many are taking data in.
public struct ImageUsage: Sendable, Equatable {
    public var count: Int
    public var bytes: Int
    public var uploading: Int
    /// The images being staged or imported (their staged data counts against the stage limit).
    public var stagingIDs: [String]
}

extension ImageStore {
    public func usage(owner: String) async throws -> ImageUsage {
        try await database.read { sql in
            var usage = ImageUsage(count: 0, bytes: 0, uploading: 0, stagingIDs: [])
            for row in try await sql.raw(
                "SELECT id, status, size FROM images WHERE owner = \(bind: owner) AND status <> 'deleted'"
            ).all() {
                let status = try row.string("status")
                usage.count += 1
                usage.bytes += try row.optionalInt("size") ?? 0
                if ["saving", "uploading", "importing"].contains(status) { usage.uploading += 1 }
                if status == "uploading" { usage.stagingIDs.append(try row.string("id")) }
            }
            return usage
        }
    }
}
