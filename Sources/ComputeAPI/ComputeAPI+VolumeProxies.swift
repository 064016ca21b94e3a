import APISupport
import Foundation
import HTTPTypes
import Hummingbird
import NovaCore

/// The block-storage proxies of the Compute API below 2.36 (nova/api/openstack/compute/volumes.py and
/// snapshots.py): `os-volumes` and `os-snapshots`, the volume service asked as the user, its answers in Nova's
/// old shapes; 404 from 2.36 on, as Nova.
extension ComputeAPI {
    static let volumeCreateKeys: Set<String> = [
        "volume_type", "metadata", "snapshot_id", "size", "availability_zone", "display_name", "display_description",
    ]
    static let snapshotCreateKeys: Set<String> = ["volume_id", "force", "display_name", "display_description"]

    func volumeProxyCaller(_ request: Request, _ context: NovaRequestContext) throws -> (any VolumeClient, NetworkUser)
    {
        guard context.apiVersion <= Self.maxProxyVersion else {
            throw NovaError.notFound("The resource could not be found.")
        }
        guard let volumes else { throw NovaError.badRequest("This cloud has no block-storage service.") }
        let token = request.headers[HTTPField.Name("X-Auth-Token")!] ?? ""
        return (volumes, NetworkUser(credentials: try context.caller(), token: token))
    }

    /// A block-storage call as the user; its errors in Nova's shape (an exceeded quota is 403, as Nova says).
    func cinder(
        _ client: any VolumeClient, _ method: String, _ path: String, body: JSON? = nil, as user: NetworkUser
    ) async throws -> JSON {
        do {
            return try await client.request(method, path, body: body, as: user) ?? .null
        } catch let error as NovaError {
            throw Self.proxied(error)
        }
    }

    func registerVolumeProxies(on v21: RouterGroup<NovaRequestContext>) {
        for path in ["os-volumes", "os-volumes/detail"] {
            v21.get(RouterPath(stringLiteral: path)) { request, context in
                let (client, user) = try volumeProxyCaller(request, context)
                let found = try await cinder(client, "GET", "/volumes/detail", as: user)["volumes"]?.arrayValue ?? []
                let page = try Self.limited(found, request)
                return Response.json(["volumes": .array(page.map(Self.legacyVolume))])
            }
        }
        v21.get("os-volumes/{id}") { request, context in
            let (client, user) = try volumeProxyCaller(request, context)
            let path = "/volumes/" + PercentEncoding.encode(context.parameter("id"))
            let volume = try await cinder(client, "GET", path, as: user)["volume"] ?? .null
            return Response.json(["volume": Self.legacyVolume(volume)])
        }
        v21.post("os-volumes") { request, context in
            let (client, user) = try volumeProxyCaller(request, context)
            let body = try await request.jsonBody(context: context)
            let fields = try Self.proxyBody(body, key: "volume", allowed: Self.volumeCreateKeys)
            let size = try CheckedInput.integer(
                fields["size"], field: "size", in: 1...CheckedInput.maxDatabaseInteger, allowString: true)
            guard let size else {
                throw NovaError.badRequest("Invalid input for field/attribute volume. 'size' is a required property")
            }
            var volume: JSONObject = ["size": .int(size)]
            for (from, to) in [
                ("display_name", "name"), ("display_description", "description"), ("volume_type", "volume_type"),
                ("availability_zone", "availability_zone"), ("snapshot_id", "snapshot_id"),
            ] {
                if let text = try CheckedInput.text(fields[from], field: from, length: 0...255) {
                    volume[to] = .string(text)
                }
            }
            if let snapshot = volume["snapshot_id"]?.stringValue {
                _ = try await cinder(client, "GET", "/snapshots/" + PercentEncoding.encode(snapshot), as: user)
            }
            if let metadata = fields["metadata"] {
                guard metadata.objectValue != nil else {
                    throw NovaError.badRequest("Invalid input for field/attribute metadata. It must be an object")
                }
                volume["metadata"] = metadata
            }
            let made = try await cinder(client, "POST", "/volumes", body: ["volume": .object(volume)], as: user)
            let view = Self.legacyVolume(made["volume"] ?? .null)
            return Response.json(
                ["volume": view], status: 200,
                headers: [.location: "\(base(request))/v2.1/os-volumes/\(view["id"]?.stringValue ?? "")"])
        }
        v21.delete("os-volumes/{id}") { request, context in
            let (client, user) = try volumeProxyCaller(request, context)
            _ = try await cinder(
                client, "DELETE", "/volumes/" + PercentEncoding.encode(context.parameter("id")), as: user)
            return Response.empty(status: 202)
        }
        registerSnapshotProxies(on: v21)
    }

    func registerSnapshotProxies(on v21: RouterGroup<NovaRequestContext>) {
        for path in ["os-snapshots", "os-snapshots/detail"] {
            v21.get(RouterPath(stringLiteral: path)) { request, context in
                let (client, user) = try volumeProxyCaller(request, context)
                let found =
                    try await cinder(client, "GET", "/snapshots/detail", as: user)["snapshots"]?.arrayValue ?? []
                let page = try Self.limited(found, request)
                return Response.json(["snapshots": .array(page.map(Self.legacySnapshot))])
            }
        }
        v21.get("os-snapshots/{id}") { request, context in
            let (client, user) = try volumeProxyCaller(request, context)
            let path = "/snapshots/" + PercentEncoding.encode(context.parameter("id"))
            let snapshot = try await cinder(client, "GET", path, as: user)["snapshot"] ?? .null
            return Response.json(["snapshot": Self.legacySnapshot(snapshot)])
        }
        v21.post("os-snapshots") { request, context in
            let (client, user) = try volumeProxyCaller(request, context)
            let body = try await request.jsonBody(context: context)
            let fields = try Self.proxyBody(body, key: "snapshot", allowed: Self.snapshotCreateKeys)
            guard let volumeID = try CheckedInput.text(fields["volume_id"], field: "volume_id", length: 0...255) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute snapshot. 'volume_id' is a required property")
            }
            var snapshot: JSONObject = [
                "volume_id": .string(volumeID),
                "force": .bool(try CheckedInput.boolean(fields["force"], field: "force") ?? false),
            ]
            for (from, to) in [("display_name", "name"), ("display_description", "description")] {
                if let text = try CheckedInput.text(fields[from], field: from, length: 0...255) {
                    snapshot[to] = .string(text)
                }
            }
            let made = try await cinder(client, "POST", "/snapshots", body: ["snapshot": .object(snapshot)], as: user)
            return Response.json(["snapshot": Self.legacySnapshot(made["snapshot"] ?? .null)])
        }
        v21.delete("os-snapshots/{id}") { request, context in
            let (client, user) = try volumeProxyCaller(request, context)
            _ = try await cinder(
                client, "DELETE", "/snapshots/" + PercentEncoding.encode(context.parameter("id")), as: user)
            return Response.empty(status: 202)
        }
    }

    /// The object under `key` of a proxy's create body, with no keys but `allowed`.
    static func proxyBody(_ body: JSON, key: String, allowed: Set<String>) throws -> JSONObject {
        guard let outer = body.objectValue, let fields = outer[key]?.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute \(key). '\(key)' is a required property")
        }
        if let unknown = outer.keys.first(where: { $0 != key }) ?? fields.keys.first(where: { !allowed.contains($0) }) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute \(key). Additional properties are not allowed ('\(unknown.prefix(64))' was unexpected)"
            )
        }
        return fields
    }

    /// common.limited: `offset` and `limit` (at most 1000) of the query.
    static func limited(_ items: [JSON], _ request: Request) throws -> ArraySlice<JSON> {
        let offset =
            try CheckedInput.integer(
                request.uri.queryParameters.get("offset"), field: "offset", in: CheckedInput.databaseRange) ?? 0
        let limit =
            try CheckedInput.integer(
                request.uri.queryParameters.get("limit"), field: "limit", in: CheckedInput.databaseRange) ?? 1000
        return items.dropFirst(offset).prefix(min(limit, 1000))
    }

    /// Nova's volume view of a Cinder volume.
    static func legacyVolume(_ volume: JSON) -> JSON {
        let id = volume["id"] ?? .null
        let attachments = volume["attachments"]?.arrayValue ?? []
        let legacyAttachments: [JSON] =
            attachments.first.map { attachment in
                var view: JSONObject = ["id": id, "volumeId": id, "serverId": attachment["server_id"] ?? .null]
                if let device = attachment["device"], !device.isNull { view["device"] = device }
                return [.object(view)]
            } ?? [[:]]
        let metadata = volume["metadata"]?.objectValue
        return [
            "id": id, "status": volume["status"] ?? .null, "size": volume["size"] ?? .null,
            "availabilityZone": volume["availability_zone"] ?? .null, "createdAt": volume["created_at"] ?? .null,
            "attachments": .array(legacyAttachments), "displayName": volume["name"] ?? .null,
            "displayDescription": volume["description"] ?? .null, "volumeType": volume["volume_type"] ?? .null,
            "snapshotId": volume["snapshot_id"] ?? .null,
            "metadata": metadata.map(JSON.object) ?? [:],
        ]
    }

    /// Nova's snapshot view of a Cinder snapshot (its size is the volume's).
    static func legacySnapshot(_ snapshot: JSON) -> JSON {
        [
            "id": snapshot["id"] ?? .null, "volumeId": snapshot["volume_id"] ?? .null,
            "status": snapshot["status"] ?? .null, "size": snapshot["size"] ?? .null,
            "createdAt": snapshot["created_at"] ?? .null, "displayName": snapshot["name"] ?? .null,
            "displayDescription": snapshot["description"] ?? .null,
        ]
    }
}
