import Foundation
import NovaCore
import SQLKit

/// A project an image is shared with, and whether it took the image (Glance's image member).
public struct ImageMember: Sendable, Equatable {
    public var imageID: String
    public var memberID: String
    /// `pending`, `accepted` or `rejected`.
    public var status: String
    public var createdAt: Date
    public var updatedAt: Date
}

extension ImageRecord {
    /// Glance's rule for who sees an image: an admin, anyone for public and community images, its owner, and
    /// for a shared image the projects it is shared with, whatever they answered.
    public func isVisible(to caller: Credentials, memberStatus: String?) -> Bool {
        caller.isAdmin || visibility == "public" || visibility == "community" || owner == caller.projectID
            || (visibility == "shared" && memberStatus != nil)
    }
}

/// Image sharing: the members of shared images.
extension ImageStore {
    static func member(from row: any SQLRow) throws -> ImageMember {
        ImageMember(
            imageID: try row.string("image_id"), memberID: try row.string("member_id"),
            status: try row.string("status"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    /// The image when `caller` may see it (nil otherwise, as for no image).
    public func image(id: String, visibleTo caller: Credentials) async throws -> ImageRecord? {
        guard let image = try await image(id: id) else { return nil }
        if image.isVisible(to: caller, memberStatus: nil) { return image }
        guard image.visibility == "shared" else { return nil }
        let status = try await member(imageID: id, memberID: caller.projectID)?.status
        return image.isVisible(to: caller, memberStatus: status) ? image : nil
    }

    public func members(imageID: String) async throws -> [ImageMember] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT * FROM image_members WHERE image_id = \(bind: imageID) ORDER BY created_at, member_id"
            ).all().map(Self.member(from:))
        }
    }

    public func member(imageID: String, memberID: String) async throws -> ImageMember? {
        try await database.read { sql in
            try await sql.raw(
                "SELECT * FROM image_members WHERE image_id = \(bind: imageID) AND member_id = \(bind: memberID)"
            ).first().map(Self.member(from:))
        }
    }

    /// Image id -> the project's answer, for every image shared with the project.
    public func memberships(memberID: String) async throws -> [String: String] {
        try await database.read { sql in
            var statuses: [String: String] = [:]
            for row in try await sql.raw("SELECT * FROM image_members WHERE member_id = \(bind: memberID)").all() {
                let member = try Self.member(from: row)
                statuses[member.imageID] = member.status
            }
            return statuses
        }
    }

    /// Shares the image with a project (pending); 409 when it already is.
    public func addMember(imageID: String, memberID: String, now: Date) async throws -> ImageMember {
        try await database.write { sql in
            guard
                try await sql.raw(
                    "SELECT member_id FROM image_members WHERE image_id = \(bind: imageID) AND member_id = \(bind: memberID)"
                ).first() == nil
            else {
                throw NovaError.conflict("The member \(memberID) is already a member of the image \(imageID).")
            }
            try await sql.raw(
                """
                INSERT INTO image_members (image_id, member_id, status, created_at, updated_at)
                VALUES (\(bind: imageID), \(bind: memberID), 'pending', \(bind: now.stored), \(bind: now.stored))
                """
            ).run()
            return ImageMember(imageID: imageID, memberID: memberID, status: "pending", createdAt: now, updatedAt: now)
        }
    }

    public func setMemberStatus(imageID: String, memberID: String, status: String, now: Date) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE image_members SET status = \(bind: status), updated_at = \(bind: now.stored)
                WHERE image_id = \(bind: imageID) AND member_id = \(bind: memberID)
                """
            ).run()
        }
    }

    public func removeMember(imageID: String, memberID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                "DELETE FROM image_members WHERE image_id = \(bind: imageID) AND member_id = \(bind: memberID)"
            ).run()
        }
    }
}
