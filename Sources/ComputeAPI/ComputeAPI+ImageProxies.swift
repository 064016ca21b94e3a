import APISupport
import Foundation
import Hummingbird
import ImageService
import NovaCore
import NovaDB

/// The image proxies of the Compute API below 2.36 (nova/api/openstack/compute/images.py, image_metadata.py):
/// the image service's images in Nova's old shape, its custom properties as `metadata`; 404 from 2.36 on.
extension ComputeAPI {
    /// Glance's statuses as Nova's image view names them, with the progress it shows for each.
    static let imageStatuses = [
        "active": "ACTIVE", "queued": "SAVING", "saving": "SAVING", "deleted": "DELETED",
        "pending_delete": "DELETED", "killed": "ERROR",
    ]
    static let imageProgress = ["queued": 25, "saving": 50, "active": 100]

    func registerImageProxies(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("images") { request, context in try await listImages(request, context, detail: false) }
        v21.get("images/detail") { request, context in try await listImages(request, context, detail: true) }
        v21.get("images/{id}") { request, context in
            let image = try await proxiedImage(context)
            return Response.json(["image": imageView(image, request, context)])
        }
        v21.delete("images/{id}") { _, context in
            let image = try await proxiedImage(context)
            do {
                // The embedded image service's own route applies Glance's policy; a genuine Glance applies its own.
                if let imageRoutes {
                    _ = try await imageRoutes.call(.delete, "/images/\(image.id)", body: nil, as: try context.caller())
                } else {
                    try await images.delete(id: image.id, as: try context.caller())
                }
            } catch let error as NovaError {
                throw Self.proxied(error)
            }
            return Response.empty(status: 204)
        }
        v21.get("images/{id}/metadata") { _, context in
            let image = try await proxiedImage(context)
            return Response.json(["metadata": ServerViewBuilder.stringMap(image.properties)])
        }
        v21.post("images/{id}/metadata") { request, context in
            let items = try await metadataItems(request, context, key: "metadata")
            let image = try await changeImageProperties(context) { $0.merge(items) { _, new in new } }
            return Response.json(["metadata": ServerViewBuilder.stringMap(image.properties)])
        }
        v21.put("images/{id}/metadata") { request, context in
            let items = try await metadataItems(request, context, key: "metadata")
            let image = try await changeImageProperties(context) { $0 = items }
            return Response.json(["metadata": ServerViewBuilder.stringMap(image.properties)])
        }
        v21.get("images/{id}/metadata/{key}") { _, context in
            let image = try await proxiedImage(context)
            let key = context.parameter("key")
            guard let value = image.properties[key] else { throw NovaError.notFound("Image not found.") }
            return Response.json(["meta": [key: .string(value)]])
        }
        v21.put("images/{id}/metadata/{key}") { request, context in
            let key = context.parameter("key")
            let items = try await metadataItems(request, context, key: "meta")
            guard items.count == 1, let value = items[key] else {
                throw NovaError.badRequest("Request body and URI mismatch")
            }
            _ = try await changeImageProperties(context) { $0[key] = value }
            return Response.json(["meta": [key: .string(value)]])
        }
        v21.delete("images/{id}/metadata/{key}") { _, context in
            let key = context.parameter("key")
            _ = try await changeImageProperties(context) { properties in
                guard properties.removeValue(forKey: key) != nil else {
                    throw NovaError.notFound("Image not found.")
                }
            }
            return Response.empty(status: 204)
        }
    }

    /// The image the path names, as the caller may see it; 404 from 2.36, as for every proxy.
    func proxiedImage(_ context: NovaRequestContext) async throws -> ImageRecord {
        guard context.apiVersion <= Self.maxProxyVersion else {
            throw NovaError.notFound("The resource could not be found.")
        }
        let caller = try context.caller()
        guard let image = try await images.image(id: context.parameter("id"), as: caller) else {
            throw NovaError.notFound("Image not found.")
        }
        return image
    }

    /// Changes an image's custom properties as its owner (or an admin), as Glance allows them.
    func changeImageProperties(
        _ context: NovaRequestContext, _ change: @escaping @Sendable (inout [String: String]) throws -> Void
    ) async throws -> ImageRecord {
        let image = try await proxiedImage(context)
        let caller = try context.caller()
        guard caller.isAdmin || image.owner == caller.projectID else {
            throw NovaError.forbidden("You are not authorized to access image \(image.id).")
        }
        var properties = image.properties
        try change(&properties)
        if let reserved = properties.keys.sorted().first(where: ImageAPI.reserved.contains) {
            throw NovaError.forbidden("Attribute '\(reserved)' is reserved.")
        }
        let limits = try await store.quotaLimits(projectID: caller.projectID)
        if limits.limit(.metadataItems) >= 0, properties.count > limits.limit(.metadataItems) {
            throw NovaError.forbidden("Quota exceeded for metadata_items: the limit is \(limits.limit(.metadataItems))")
        }
        return try await images.setProperties(properties, of: image, as: caller)
    }

    /// `{"metadata": {k: v}}` or `{"meta": {k: v}}`: string keys of 1 to 255 characters and string values.
    func metadataItems(_ request: Request, _ context: NovaRequestContext, key: String) async throws -> [String: String]
    {
        let body = try await request.jsonBody(context: context)
        guard let object = body[key], object.objectValue != nil else {
            throw NovaError.badRequest("Invalid input for field/attribute \(key). '\(key)' is a required property")
        }
        // The same rules as a server's metadata.
        return try Self.metadata(object)
    }

    func listImages(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> Response {
        guard context.apiVersion <= Self.maxProxyVersion else {
            throw NovaError.notFound("The resource could not be found.")
        }
        let caller = try context.caller()
        let query = request.query
        // Glance's default list: shared images only once the project accepted them.
        var found = try await images.images(named: query["name"], as: caller)
        found.sort { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        if let status = query["status"] {
            found = found.filter { Self.imageStatuses[$0.status, default: "UNKNOWN"] == status.uppercased() }
        }
        // `server` may be the server's URL: its last part is the uuid (Nova's property-instance_uuid filter).
        if let server = query["server"] {
            let uuid = server.split(separator: "/").last.map(String.init) ?? server
            found = found.filter { $0.properties["instance_uuid"] == uuid }
        }
        if let type = query["type"] { found = found.filter { $0.properties["image_type"] == type } }
        for (key, value) in query.pairs where key.hasPrefix("property-") {
            found = found.filter { $0.properties[String(key.dropFirst("property-".count))] == value }
        }
        if let least = try CheckedInput.integer(query["minRam"], field: "minRam", in: Int.min...Int.max) {
            found = found.filter { $0.minRAM >= least }
        }
        if let least = try CheckedInput.integer(query["minDisk"], field: "minDisk", in: Int.min...Int.max) {
            found = found.filter { $0.minDisk >= least }
        }
        if let since = query["changes-since"] {
            guard let date = Timestamp.parse(since) else {
                throw NovaError.badRequest("Invalid changes-since value")
            }
            found = found.filter { $0.updatedAt >= date }
        }
        let page = try Page(query, maxLimit: config.maxLimit)
        let (items, full) = try page.apply(found, id: \.id)
        let views: [JSON] = items.map { image in
            detail
                ? imageView(image, request, context)
                : ["id": .string(image.id), "name": .optional(image.name), "links": imageLinks(image.id, request)]
        }
        var body: JSONObject = ["images": .array(views)]
        if full, let last = items.last {
            body["images_links"] = Page.nextLink(request, base: base(request), lastID: last.id, limit: page.limit)
        }
        return Response.json(.object(body))
    }

    func imageLinks(_ id: String, _ request: Request) -> JSON {
        let root = base(request)
        return [
            ["rel": "self", "href": .string("\(root)/v2.1/images/\(id)")],
            ["rel": "bookmark", "href": .string("\(root)/images/\(id)")],
            [
                "rel": "alternate", "type": "application/vnd.openstack.image",
                "href": .string("\(request.baseURL(fallback: ""))/image/images/\(id)"),
            ],
        ]
    }

    /// Nova's image view (nova/api/openstack/compute/views/images.py).
    func imageView(_ image: ImageRecord, _ request: Request, _ context: NovaRequestContext) -> JSON {
        var view: JSONObject = [
            "id": .string(image.id), "name": .optional(image.name), "minRam": .int(image.minRAM),
            "minDisk": .int(image.minDisk), "metadata": ServerViewBuilder.stringMap(image.properties),
            "created": .string(Timestamp.iso(image.createdAt)), "updated": .string(Timestamp.iso(image.updatedAt)),
            "status": .string(Self.imageStatuses[image.status, default: "UNKNOWN"]),
            "progress": .int(Self.imageProgress[image.status, default: 0]),
            "OS-EXT-IMG-SIZE:size": .optional(image.size),
            "links": imageLinks(image.id, request),
        ]
        if let server = image.properties["instance_uuid"] {
            let root = base(request)
            view["server"] = [
                "id": .string(server),
                "links": [
                    ["rel": "self", "href": .string("\(root)/v2.1/servers/\(server)")],
                    ["rel": "bookmark", "href": .string("\(root)/servers/\(server)")],
                ],
            ]
        }
        if let auto = image.properties["auto_disk_config"] {
            view["OS-DCF:diskConfig"] = .string(
                (try? CheckedInput.boolean(.string(auto), field: "")) == true ? "AUTO" : "MANUAL")
        }
        return .object(view)
    }
}
