import APISupport
import Foundation
import NIOCore
import NovaCore
import NovaDB

/// A genuine Glance as the compute API's image service (`[glance] api_servers`, or the catalog's `image`):
/// the caller's calls with the caller's token, so Glance applies its own policy, as Nova's glance.py calls it;
/// the service's own reads with the service's token.
public struct GlanceImageCatalog: ImageCatalog {
    let session: ServiceSession

    public init(session: ServiceSession) { self.session = session }

    /// Glance's own fields of an image; every other field is a custom property.
    static var coreFields: Set<String> { ImageRecord.glanceCoreFields }

    /// The record of one image of Glance's v2 API.
    static func record(_ json: JSON) -> ImageRecord? {
        guard let id = json["id"]?.stringValue else { return nil }
        let created = json["created_at"]?.stringValue.flatMap(Timestamp.parse) ?? Date(timeIntervalSince1970: 0)
        var image = ImageRecord(
            id: id, name: json["name"]?.stringValue, owner: json["owner"]?.stringValue,
            visibility: json["visibility"]?.stringValue ?? "private", createdAt: created)
        image.status = json["status"]?.stringValue ?? "queued"
        image.diskFormat = json["disk_format"]?.stringValue
        image.containerFormat = json["container_format"]?.stringValue
        image.size = json["size"]?.intValue
        image.virtualSize = json["virtual_size"]?.intValue
        image.checksum = json["checksum"]?.stringValue
        image.hashAlgorithm = json["os_hash_algo"]?.stringValue
        image.hashValue = json["os_hash_value"]?.stringValue
        image.minDisk = json["min_disk"]?.intValue ?? 0
        image.minRAM = json["min_ram"]?.intValue ?? 0
        image.protected = json["protected"]?.boolValue ?? false
        image.hidden = json["os_hidden"]?.boolValue ?? false
        image.tags = json["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        image.updatedAt = json["updated_at"]?.stringValue.flatMap(Timestamp.parse) ?? created
        for (key, value) in json.objectValue?.entries ?? [] where !coreFields.contains(key) {
            image.properties[key] = value.stringValue ?? value.serialized()
        }
        return image
    }

    /// Glance's answer as an image, or its error with Glance's status (404, 403, 409, 400, 413).
    static func expect(_ response: ServiceResponse, _ what: String) throws -> ImageRecord {
        guard response.isSuccess else { throw failure(response, what) }
        guard let json = response.json, let image = record(json) else {
            throw NovaError.serviceUnavailable("\(what): the image service answered without an image")
        }
        return image
    }

    static func failure(_ response: ServiceResponse, _ what: String) -> NovaError {
        let code: NovaError.Code =
            switch response.status {
            case 400: .badRequest
            case 403: .forbidden
            case 404: .notFound
            case 409: .conflict
            case 413: .overLimit
            default: .serviceUnavailable
            }
        return NovaError(code, "\(what): \(response.errorMessage)")
    }

    static func path(_ id: String) -> String { "/v2/images/" + PercentEncoding.encode(id) }

    public func image(id: String, as caller: Credentials) async throws -> ImageRecord? {
        let response = try await session.send("image", .GET, Self.path(id), token: caller.token)
        // Glance answers 404 for an image the caller may not see.
        if response.status == 404 || response.status == 403 { return nil }
        return try Self.expect(response, "Image \(id)")
    }

    public func image(id: String) async throws -> ImageRecord? {
        let response = try await session.send("image", .GET, Self.path(id))
        if response.status == 404 { return nil }
        return try Self.expect(response, "Image \(id)")
    }

    public func images(named name: String?, as caller: Credentials) async throws -> [ImageRecord] {
        var found: [ImageRecord] = []
        var next: String? = "/v2/images?limit=1000" + (name.map { "&name=" + PercentEncoding.encode($0) } ?? "")
        while let path = next {
            let response = try await session.send("image", .GET, path, token: caller.token)
            guard response.isSuccess else { throw Self.failure(response, "Image list") }
            found += response.json?["images"]?.arrayValue?.compactMap(Self.record) ?? []
            // Glance's `next` is the path under its root (/v2/images?marker=...).
            next = response.json?["next"]?.stringValue
        }
        return found.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    public func create(_ image: ImageRecord, as caller: Credentials) async throws {
        var body: JSONObject = [
            "id": .string(image.id), "visibility": .string(image.visibility), "min_disk": .int(image.minDisk),
            "min_ram": .int(image.minRAM),
        ]
        body["name"] = image.name.map(JSON.string)
        body["owner"] = image.owner.map(JSON.string)
        body["container_format"] = image.containerFormat.map(JSON.string)
        body["disk_format"] = image.diskFormat.map(JSON.string)
        for (key, value) in image.properties where !Self.coreFields.contains(key) { body[key] = .string(value) }
        let response = try await session.send("image", .POST, "/v2/images", json: .object(body), token: caller.token)
        _ = try Self.expect(response, "Creating image \(image.id)")
    }

    public func setProperties(_ properties: [String: String], of image: ImageRecord, as caller: Credentials)
        async throws -> ImageRecord
    {
        var operations: [JSON] = []
        for key in image.properties.keys.sorted() where properties[key] == nil {
            operations.append(["op": "remove", "path": .string("/" + Self.pointer(key))])
        }
        for key in properties.keys.sorted() where properties[key] != image.properties[key] {
            let op = image.properties[key] == nil ? "add" : "replace"
            operations.append(
                ["op": .string(op), "path": .string("/" + Self.pointer(key)), "value": .string(properties[key] ?? "")])
        }
        guard !operations.isEmpty else { return image }
        let response = try await session.send(
            "image", .PATCH, Self.path(image.id),
            headers: [("Content-Type", "application/openstack-images-v2.1-json-patch")],
            body: .bytes(ByteBuffer(bytes: JSON.array(operations).bytes())), token: caller.token)
        return try Self.expect(response, "Image \(image.id)")
    }

    /// A key as a JSON pointer segment (RFC 6901: `~` is `~0`, `/` is `~1`).
    static func pointer(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    public func delete(id: String, as caller: Credentials) async throws {
        let response = try await session.send("image", .DELETE, Self.path(id), token: caller.token)
        guard response.isSuccess else { throw Self.failure(response, "Deleting image \(id)") }
    }
}
