import Foundation
import NovaCore
import NovaDB

/// CreateTags, DeleteTags, DescribeTags on instances (the server's metadata) and images (the image's custom
/// properties).
extension EC2Call {
    /// The resource an EC2 id names: an instance's or an image's UUID.
    enum TaggedResource {
        case instance(String)
        case image(String)
    }

    func taggedResources() async throws -> [(String, TaggedResource)] {
        let ids = params.list("ResourceId")
        guard !ids.isEmpty else { throw EC2Error.missing("ResourceId.1") }
        let instances = try await api.store.uuids(kind: "i", ec2IDs: ids.filter { $0.hasPrefix("i-") })
        let images = try await api.store.uuids(kind: "ami", ec2IDs: ids.filter { $0.hasPrefix("ami-") })
        return try ids.map { id in
            if let uuid = instances[id] { return (id, .instance(uuid)) }
            if let uuid = images[id] { return (id, .image(uuid)) }
            if id.hasPrefix("i-") {
                throw EC2Error("InvalidInstanceID.NotFound", "The instance ID '\(id)' does not exist")
            }
            if id.hasPrefix("ami-") { throw EC2Error("InvalidAMIID.NotFound", "The image id '[\(id)]' does not exist") }
            throw EC2Error("InvalidID", "The ID '\(id)' is not valid")
        }
    }

    /// Tag keys as EC2 takes them: 1 to 128 characters, not starting with `aws:`.
    func requestedTags(valuesRequired: Bool) throws(EC2Error) -> [(key: String, value: String?)] {
        try params.numbered("Tag").map { number throws(EC2Error) in
            let key = try params.required("Tag.\(number).Key")
            guard key.count <= 128, !key.lowercased().hasPrefix("aws:") else {
                throw .invalid(
                    "Tag.\(number).Key", key, "Tag keys are 1 to 128 characters and may not start with aws:.")
            }
            let value = params["Tag.\(number).Value"]
            if let value, value.count > 256 {
                throw .invalid("Tag.\(number).Value", value, "Tag values are at most 256 characters.")
            }
            return (key, valuesRequired ? (value ?? "") : value)
        }
    }

    func imageNotFound(_ id: String) -> EC2Error {
        EC2Error("InvalidAMIID.NotFound", "The image id '[\(id)]' does not exist")
    }

    func instanceNotFound(_ id: String) -> EC2Error {
        EC2Error("InvalidInstanceID.NotFound", "The instance ID '\(id)' does not exist")
    }

    /// A JSON patch of an image's properties (Glance's v2.1 patch).
    func patchImage(_ uuid: String, _ operations: [JSON], id: String) async throws {
        guard !operations.isEmpty else { return }
        try await expect(
            .image, .patch, "/v2/images/" + uuid, body: .array(operations),
            contentType: "application/openstack-images-v2.1-json-patch",
            notFound: imageNotFound(id))
    }

    static func pointer(_ key: String) -> String {
        "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    func createTags() async throws -> [XMLNode] {
        let resources = try await taggedResources()
        let tags = try requestedTags(valuesRequired: true)
        guard !tags.isEmpty else { throw EC2Error.missing("Tag.1.Key") }
        try dryRun(write: true)
        for (id, resource) in resources {
            switch resource {
            case .instance(let uuid):
                let metadata = JSONObject(tags.map { ($0.key, JSON.string($0.value ?? "")) })
                try await expect(
                    .compute, .post, "/servers/\(uuid)/metadata", body: ["metadata": .object(metadata)],
                    notFound: instanceNotFound(id))
            case .image(let uuid):
                let image = try await expect(.image, .get, "/v2/images/" + uuid, notFound: imageNotFound(id))
                try await patchImage(
                    uuid,
                    tags.map { tag in
                        [
                            "op": image[tag.key] == nil ? "add" : "replace", "path": .string(Self.pointer(tag.key)),
                            "value": .string(tag.value ?? ""),
                        ]
                    }, id: id)
            }
        }
        return [.text("return", "true")]
    }

    func deleteTags() async throws -> [XMLNode] {
        let resources = try await taggedResources()
        let tags = try requestedTags(valuesRequired: false)
        try dryRun(write: true)
        for (id, resource) in resources {
            switch resource {
            case .instance(let uuid):
                let metadata =
                    try await expect(.compute, .get, "/servers/\(uuid)/metadata", notFound: instanceNotFound(id))[
                        "metadata"]?.objectValue ?? [:]
                for (key, value) in metadata.entries where Self.selected(key, value.stringValue, by: tags) {
                    try await expect(
                        .compute, .delete, "/servers/\(uuid)/metadata/" + PercentEncoding.encode(key),
                        notFound: instanceNotFound(id))
                }
            case .image(let uuid):
                let image = try await expect(.image, .get, "/v2/images/" + uuid, notFound: imageNotFound(id))
                let properties = Self.imageTags(image)
                try await patchImage(
                    uuid,
                    properties.filter { Self.selected($0.0, $0.1, by: tags) }.map {
                        ["op": "remove", "path": .string(Self.pointer($0.0))]
                    }, id: id)
            }
        }
        return [.text("return", "true")]
    }

    /// Whether DeleteTags' list takes this tag: no list is every tag; a key alone any value; a value that value.
    static func selected(_ key: String, _ value: String?, by tags: [(key: String, value: String?)]) -> Bool {
        tags.isEmpty || tags.contains { $0.key == key && ($0.value == nil || $0.value == value) }
    }

    /// An image's tags: its custom properties (Glance's own fields are not tags).
    static func imageTags(_ image: JSON) -> [(String, String)] {
        (image.objectValue?.entries ?? []).compactMap { key, value in
            ImageRecord.glanceCoreFields.contains(key) ? nil : value.stringValue.map { (key, $0) }
        }
    }

    func describeTags() async throws -> [XMLNode] {
        try dryRun(write: false)
        var rows: [(id: String, type: String, key: String, value: String)] = []
        let views = try await instanceViews(servers: try await listServers()).filter { $0.state.name != "terminated" }
        for view in views {
            rows += view.tags.map { (view.id, "instance", $0.0, $0.1) }
        }
        let images = try await listImages().filter { $0["owner"]?.stringValue == credentials.projectID }
        let imageIDs = try await api.store.ec2IDs(kind: "ami", uuids: images.compactMap { $0["id"]?.stringValue })
        for image in images {
            guard let uuid = image["id"]?.stringValue, let id = imageIDs[uuid] else { continue }
            rows += Self.imageTags(image).map { (id, "image", $0.0, $0.1) }
        }
        for filter in try params.filters() {
            let field: ((id: String, type: String, key: String, value: String)) -> String
            switch filter.name {
            case "resource-id": field = { $0.id }
            case "resource-type": field = { $0.type }
            case "key": field = { $0.key }
            case "value": field = { $0.value }
            default: throw EC2Error("InvalidParameterValue", "The filter '\(filter.name)' is invalid")
            }
            rows = rows.filter { row in filter.values.contains { Self.wildcard($0, matches: field(row)) } }
        }
        rows.sort { ($0.id, $0.key) < ($1.id, $1.key) }
        return [
            .set(
                "tagSet",
                rows.map {
                    [
                        .text("resourceId", $0.id), .text("resourceType", $0.type), .text("key", $0.key),
                        .text("value", $0.value),
                    ]
                })
        ]
    }
}
