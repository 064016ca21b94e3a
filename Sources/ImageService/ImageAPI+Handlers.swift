import APISupport
import Foundation
import HTTPTypes
import Hummingbird
import NovaCore
import NovaDB

extension ImageAPI {
    func list(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let query = request.query
        var ids: [String]?
        if let id = query["id"] {
            ids = id.hasPrefix("in:") ? id.dropFirst(3).split(separator: ",").map(String.init) : [id]
        }
        var name = query["name"]
        if let value = name, value.hasPrefix("in:") {
            name = nil
            ids = ids ?? []
            let names = Set(value.dropFirst(3).split(separator: ",").map(String.init))
            ids = try await store.images().filter { names.contains($0.name ?? "") }.map(\.id)
        }
        var images = try await store.images(ids: ids, name: name, status: query["status"])
        images = try await listedImages(images, caller: caller, query: query)
        if let owner = query["owner"] { images = images.filter { $0.owner == owner } }
        if let tag = query["tag"] { images = images.filter { $0.tags.contains(tag) } }
        images = try ImageListQuery.filtered(images, query)
        if let marker = query["marker"] {
            guard let index = images.firstIndex(where: { $0.id == marker }) else {
                throw NovaError.badRequest("marker \(marker) not found")
            }
            images = Array(images[(index + 1)...])
        }
        var body: JSONObject = ["first": "/v2/images", "schema": "/v2/schemas/images"]
        if let limitText = query["limit"] {
            let limit = try CheckedInput.integer(limitText, field: "limit", in: 0...Int.max) ?? 0
            if images.count > limit {
                images = Array(images.prefix(limit))
                if let last = images.last { body["next"] = .string("/v2/images?marker=\(last.id)&limit=\(limit)") }
            }
        }
        body["images"] = .array(images.map(view))
        return Response.json(.object(body))
    }

    /// What a list shows of the images `caller` may see, as Glance lists them: by default its own, the public
    /// ones, and those shared with its project that it accepted (`member_status`: pending, rejected, all);
    /// community images only when asked for (`visibility=community` or `all`); hidden ones only with
    /// `os_hidden=true`.
    func listedImages(_ images: [ImageRecord], caller: Credentials, query: QueryParameters) async throws
        -> [ImageRecord]
    {
        let memberStatus = query["member_status"] ?? "accepted"
        guard ["accepted", "pending", "rejected", "all"].contains(memberStatus) else {
            throw NovaError.badRequest("Invalid status value: \(memberStatus)")
        }
        let visibility = query["visibility"]
        if let visibility, !["public", "private", "shared", "community", "all"].contains(visibility) {
            throw NovaError.badRequest("Invalid visibility value: \(visibility)")
        }
        var hidden = false
        if query["os_hidden"] != nil {
            guard let wanted = query.flag("os_hidden") else {
                throw NovaError.badRequest("Invalid value for 'os_hidden' filter. Valid values are 'true' or 'false'.")
            }
            hidden = wanted
        }
        let memberships = try await store.memberships(memberID: caller.projectID)
        return images.filter { image in
            guard image.hidden == hidden else { return false }
            let owned = image.owner == caller.projectID
            let membership = image.visibility == "shared" && !owned ? memberships[image.id] : nil
            guard image.isVisible(to: caller, memberStatus: membership) else { return false }
            // An image shared with the project shows with the answer asked for.
            if let membership, memberStatus != "all", membership != memberStatus, !caller.isAdmin { return false }
            switch visibility {
            case nil: return image.visibility != "community" || owned
            case "all": return true
            default: return image.visibility == visibility
            }
        }
    }

    func create(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let caller = try context.caller()
        guard let body = try await request.jsonBody(context: context).objectValue else {
            throw NovaError.badRequest("Image create body must be a JSON object")
        }
        var id = UUID().uuidString.lowercased()
        if let given = body["id"] {
            // Glance's schema: an id is a UUID (the file store names files by it, so nothing else may pass).
            guard let text = given.stringValue, ImageFileStore.isValidID(text) else {
                throw NovaError.badRequest(
                    "Invalid value for id: \(given.serialized().prefix(64)) is not a UUID (Glance's images.id pattern)")
            }
            id = text
        }
        let visibility = body["visibility"]?.stringValue ?? "shared"
        guard ["public", "private", "shared", "community"].contains(visibility) else {
            throw NovaError.badRequest("Invalid visibility value: \(visibility)")
        }
        if visibility == "public", !caller.isAdmin {
            throw NovaError.forbidden("You are not authorized to complete publicize_image action.")
        }
        // Glance lets an admin make an image for another project (the block-storage service's upload does).
        let owner = try CheckedInput.text(body["owner"], field: "owner", length: 1...255) ?? caller.projectID
        guard owner == caller.projectID || caller.isAdmin else {
            throw NovaError.forbidden("You are not permitted to create images owned by '\(owner)'.")
        }
        var image = ImageRecord(
            id: id, name: body["name"]?.stringValue, owner: owner, visibility: visibility, createdAt: clock.now)
        var settable = body
        settable["owner"] = nil
        try apply(settable, to: &image, creating: true)
        try quotas.checkImage(image)
        try await quotas.checkCreate(owner: owner, store: store)
        guard try await store.insertIfAbsent(image) else {
            throw NovaError.conflict("Image with identifier \(id) already exists")
        }
        return Response.json(
            view(image), status: 201,
            headers: [
                .location: "/v2/images/\(id)", HTTPField.Name("OpenStack-image-import-methods")!: "glance-direct",
            ])
    }

    /// Sets the writable fields from a create body or patch values; unknown keys become custom properties.
    func apply(_ body: JSONObject, to image: inout ImageRecord, creating: Bool) throws {
        for (key, value) in body.entries {
            switch key {
            case "id" where creating, "visibility" where creating: continue
            case "name": image.name = value.isNull ? nil : try CheckedInput.text(value, field: "name", length: 0...255)
            case "visibility":
                guard let text = value.stringValue, ["public", "private", "shared", "community"].contains(text) else {
                    throw NovaError.badRequest("Invalid visibility value")
                }
                image.visibility = text
            case "disk_format":
                guard let format = value.stringValue, Self.diskFormats.contains(format) else {
                    throw NovaError.badRequest(
                        "Invalid value for disk_format: must be one of \(Self.diskFormats.joined(separator: ", "))")
                }
                image.diskFormat = format
            case "container_format":
                guard let format = value.stringValue, Self.containerFormats.contains(format) else {
                    throw NovaError.badRequest(
                        "Invalid value for container_format: must be one of \(Self.containerFormats.joined(separator: ", "))"
                    )
                }
                image.containerFormat = format
            case "min_disk", "min_ram":
                let number = try CheckedInput.requiredInteger(value, field: key, in: CheckedInput.databaseRange)
                if key == "min_disk" { image.minDisk = number } else { image.minRAM = number }
            case "protected", "os_hidden":
                guard let flag = value.boolValue else { throw NovaError.badRequest("\(key) must be a boolean") }
                if key == "protected" { image.protected = flag } else { image.hidden = flag }
            case "tags":
                guard let tags = value.arrayValue?.compactMap(\.stringValue) else {
                    throw NovaError.badRequest("tags must be a list of strings")
                }
                image.tags = tags
            case _ where Self.reserved.contains(key):
                throw NovaError.forbidden("Attribute '\(key)' is read-only.")
            default:
                switch value {
                case .string(let text): image.properties[key] = text
                case .null: image.properties[key] = nil
                default: image.properties[key] = value.serialized()
                }
            }
        }
    }

    func patch(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let image = try await ownedImage(context.parameter("id"), context)
        guard let operations = try await request.jsonBody(context: context).arrayValue else {
            throw NovaError.badRequest("A JSON-patch body must be a list of operations")
        }
        var updated = image
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue, path.hasPrefix("/")
            else { throw NovaError.badRequest("Each patch operation needs 'op' and a 'path' starting with '/'") }
            let key = String(path.dropFirst()).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(
                of: "~0", with: "~")
            switch op {
            case "add", "replace":
                guard let value = operation["value"] else {
                    throw NovaError.badRequest("Operation \(op) needs a value")
                }
                if op == "replace", !Self.reserved.contains(key), updated.properties[key] == nil {
                    throw NovaError.conflict("Property \(key) does not exist.")
                }
                var object = JSONObject()
                object[key] = value
                try apply(object, to: &updated, creating: false)
            case "remove":
                guard updated.properties.removeValue(forKey: key) != nil else {
                    throw NovaError.conflict("Property \(key) does not exist.")
                }
            default:
                throw NovaError.badRequest("Unsupported patch operation '\(op)'")
            }
        }
        if updated.visibility == "public", image.visibility != "public", !(try context.caller().isAdmin) {
            throw NovaError.forbidden("You are not authorized to complete publicize_image action.")
        }
        try quotas.checkImage(updated)
        let final = updated
        let saved = try await store.update(id: image.id) { $0 = final }
        return Response.json(view(saved))
    }

    func delete(_ context: NovaRequestContext) async throws -> Response {
        let image = try await ownedImage(context.parameter("id"), context)
        if image.protected { throw NovaError.forbidden("Image \(image.id) is protected and cannot be deleted.") }
        try await store.delete(id: image.id)
        files.remove(id: image.id)
        staging?.remove(id: image.id)
        return Response.empty(status: 204)
    }

    func upload(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let image = try await ownedImage(context.parameter("id"), context)
        guard image.status == "queued" else {
            throw NovaError.conflict("Image status transition from \(image.status) to saving is not allowed")
        }
        let room = try await quotas.roomForData(
            owner: image.owner ?? "", staging: false, store: store, stagedBytes: 0)
        try await store.update(id: image.id) { $0.status = "saving" }
        do {
            let chunks = BoundedChunks(
                base: request.body.map { Array($0.readableBytesView) }, room: room, resource: "image_size_total")
            let written = try await files.write(id: image.id, chunks: chunks)
            try await store.update(id: image.id) { $0.recordUpload(written) }
        } catch {
            _ = try? await store.update(id: image.id) { $0.status = "queued" }
            throw error
        }
        return Response.empty(status: 204)
    }

    func download(_ context: NovaRequestContext) async throws -> Response {
        let image = try await visibleImage(context.parameter("id"), context)
        guard image.status == "active" else { return Response.empty(status: 204) }
        guard let data = FileManager.default.contents(atPath: try files.path(for: image.id)) else {
            throw NovaError.notFound("Image data for \(image.id) is missing from the store")
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream", .contentLength: String(data.count)]
        if let checksum = image.checksum { headers[HTTPField.Name("Content-MD5")!] = checksum }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
