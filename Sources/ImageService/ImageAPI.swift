import APISupport
import Foundation
import HTTPTypes
import Hummingbird
import NovaCore
import NovaDB

/// The Glance v2 subset under `/image`: discovery, create, upload, download, list with filters, show,
/// JSON-patch update, tags, delete, sharing with members, interoperable import (glance-direct) and its
/// tasks, and the schemas.
public struct ImageAPI: Sendable {
    let store: ImageStore
    let files: ImageFileStore
    let clock: any WallClock

    public static let diskFormats = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
    public static let containerFormats = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
    /// Fields Glance manages itself; everything else in a create or patch is a custom property.
    public static let reserved: Set<String> = [
        "id", "name", "status", "visibility", "owner", "disk_format", "container_format", "size", "virtual_size",
        "checksum", "os_hash_algo", "os_hash_value", "min_disk", "min_ram", "protected", "tags", "created_at",
        "updated_at", "self", "file", "schema", "locations", "direct_url", "os_hidden",
    ]

    /// Data staged for an interoperable import (`PUT /v2/images/{id}/stage`), under the store's `staging`.
    let staging: ImageFileStore?

    let quotas: ImageQuotas

    public init(store: ImageStore, files: ImageFileStore, clock: any WallClock, quotas: ImageQuotas = ImageQuotas()) {
        self.quotas = quotas
        self.store = store
        self.files = files
        self.clock = clock
        self.staging = try? ImageFileStore(directory: files.directory + "/staging")
    }

    public func register(on router: Router<NovaRequestContext>) {
        router.get("image") { request, _ in Response.json(["versions": versions(request)], status: 300) }
        router.get("image/versions") { request, _ in Response.json(["versions": versions(request)]) }
        let v2 = router.group("image/v2")
        v2.get("images") { request, context in try await list(request, context) }
        v2.post("images") { request, context in try await create(request, context) }
        v2.get("images/{id}") { _, context in
            Response.json(view(try await visibleImage(context.parameter("id"), context)))
        }
        v2.patch("images/{id}") { request, context in try await patch(request, context) }
        v2.delete("images/{id}") { _, context in try await delete(context) }
        v2.put("images/{id}/file") { request, context in try await upload(request, context) }
        v2.get("images/{id}/file") { _, context in try await download(context) }
        registerMembers(on: v2)
        registerImport(on: v2)
        registerSchemas(on: v2)
        registerMetadefs(on: v2)
        v2.put("images/{id}/tags/{tag}") { _, context in
            let tag = context.parameter("tag")
            try await ownedImage(context.parameter("id"), context)
            let quotas = quotas
            try await store.update(id: context.parameter("id")) { image in
                if !image.tags.contains(tag) { image.tags.append(tag) }
                try quotas.checkImage(image)
            }
            return Response.empty(status: 204)
        }
        v2.delete("images/{id}/tags/{tag}") { _, context in
            let tag = context.parameter("tag")
            let image = try await ownedImage(context.parameter("id"), context)
            guard image.tags.contains(tag) else {
                throw NovaError.notFound("Tag \(tag) not found on image \(image.id)")
            }
            try await store.update(id: image.id) { $0.tags.removeAll { $0 == tag } }
            return Response.empty(status: 204)
        }
    }

    func versions(_ request: Request) -> JSON {
        let href = request.baseURL(fallback: "") + "/image/v2/"
        return .array(
            ["2.16", "2.15", "2.9", "2.7", "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0"].enumerated().map {
                index, version in
                [
                    "id": .string("v" + version), "status": .string(index == 0 ? "CURRENT" : "SUPPORTED"),
                    "links": [["rel": "self", "href": .string(href)]],
                ]
            })
    }

    // MARK: Visibility

    func visibleImage(_ id: String, _ context: NovaRequestContext) async throws -> ImageRecord {
        let caller = try context.caller()
        guard let image = try await store.image(id: id, visibleTo: caller) else {
            throw NovaError.notFound("No image found with ID \(id)")
        }
        return image
    }

    @discardableResult
    func ownedImage(_ id: String, _ context: NovaRequestContext) async throws -> ImageRecord {
        let image = try await visibleImage(id, context)
        let caller = try context.caller()
        guard caller.isAdmin || image.owner == caller.projectID else {
            throw NovaError.forbidden("You are not permitted to modify image \(id).")
        }
        return image
    }

    // MARK: Views

    public func view(_ image: ImageRecord) -> JSON {
        var json: JSONObject = [:]
        for (key, value) in image.properties.sorted(by: { $0.key < $1.key }) { json[key] = .string(value) }
        json["id"] = .string(image.id)
        json["name"] = .optional(image.name)
        json["status"] = .string(image.status)
        json["visibility"] = .string(image.visibility)
        json["protected"] = .bool(image.protected)
        json["os_hidden"] = .bool(image.hidden)
        json["tags"] = .array(image.tags.map(JSON.string))
        json["disk_format"] = .optional(image.diskFormat)
        json["container_format"] = .optional(image.containerFormat)
        json["min_disk"] = .int(image.minDisk)
        json["min_ram"] = .int(image.minRAM)
        json["size"] = .optional(image.size)
        json["virtual_size"] = .optional(image.virtualSize)
        json["checksum"] = .optional(image.checksum)
        json["os_hash_algo"] = .optional(image.hashAlgorithm)
        json["os_hash_value"] = .optional(image.hashValue)
        json["owner"] = .optional(image.owner)
        json["created_at"] = .string(Timestamp.iso(image.createdAt))
        json["updated_at"] = .string(Timestamp.iso(image.updatedAt))
        json["self"] = .string("/v2/images/\(image.id)")
        json["file"] = .string("/v2/images/\(image.id)/file")
        json["schema"] = "/v2/schemas/image"
        return .object(json)
    }
}
