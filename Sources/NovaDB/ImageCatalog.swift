import Foundation
import NovaCore

extension ImageRecord {
    /// Glance's own fields of an image in its v2 API; every other field is a custom property.
    public static let glanceCoreFields: Set<String> = [
        "id", "name", "status", "disk_format", "container_format", "size", "min_disk", "min_ram", "checksum",
        "visibility", "owner", "protected", "tags", "created_at", "updated_at", "file", "schema", "self",
        "virtual_size", "os_hash_algo", "os_hash_value", "os_hidden", "locations", "direct_url", "stores",
    ]
}

/// The image service as the compute API uses it: the embedded one's tables, or a genuine Glance over HTTP
/// (`[glance] api_servers`).
public protocol ImageCatalog: Sendable {
    /// The image as the caller may see it; nil when there is none or the caller may not see it.
    func image(id: String, as caller: Credentials) async throws -> ImageRecord?
    /// The image whoever owns it: the service's own view (the scheduler's checks, admin calls).
    func image(id: String) async throws -> ImageRecord?
    /// The caller's default image list (shared images once accepted), newest first, by name when given.
    func images(named name: String?, as caller: Credentials) async throws -> [ImageRecord]
    /// A new queued image with the record's id, name, owner, formats and properties (a snapshot to upload).
    func create(_ image: ImageRecord, as caller: Credentials) async throws
    /// Replaces an image's custom properties.
    func setProperties(_ properties: [String: String], of image: ImageRecord, as caller: Credentials) async throws
        -> ImageRecord
    /// Deletes an image as the caller: a genuine Glance applies its policy; the embedded tables drop the record
    /// outright (the compute API's own cleanups; its image proxy deletes through the image API's routes).
    func delete(id: String, as caller: Credentials) async throws
}

/// The embedded image service's tables, read and written in this process.
extension ImageStore: ImageCatalog {
    public func image(id: String, as caller: Credentials) async throws -> ImageRecord? {
        try await image(id: id, visibleTo: caller)
    }

    public func images(named name: String?, as caller: Credentials) async throws -> [ImageRecord] {
        let memberships = try await memberships(memberID: caller.projectID)
        return try await images(name: name).filter {
            $0.isVisible(to: caller, memberStatus: memberships[$0.id] == "accepted" ? "accepted" : nil)
        }
    }

    public func create(_ image: ImageRecord, as caller: Credentials) async throws { try await save(image) }

    public func setProperties(_ properties: [String: String], of image: ImageRecord, as caller: Credentials)
        async throws -> ImageRecord
    {
        try await update(id: image.id) { $0.properties = properties }
    }

    public func delete(id: String, as caller: Credentials) async throws { try await delete(id: id) }
}
