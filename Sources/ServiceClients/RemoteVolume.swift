import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NovaCore

/// The block-storage API over HTTP (nova/volume/cinder.py's client, attachments API at 3.44), with the
/// service's credentials: what the compute API and compute hosts use when the volume service runs in another
/// process. Cinder's error comes back as a NovaError with its status and message.
public struct RemoteVolume: VolumeClient {
    let session: ServiceSession
    static let version = [("OpenStack-API-Version", "volume 3.44")]

    public init(session: ServiceSession) { self.session = session }

    @discardableResult
    func expect(_ method: HTTPMethod, _ path: String, json: JSON? = nil) async throws -> JSON? {
        let response = try await session.send("block-storage", method, path, headers: Self.version, json: json)
        guard response.isSuccess else {
            let fault = response.json?.objectValue?.entries.first?.1
            let message = fault?["message"]?.stringValue ?? response.errorMessage
            throw NovaError(NovaError.Code(status: response.status, name: "volumeFault"), message)
        }
        return response.json
    }

    public func volume(id: String, project: String?) async throws -> VolumeSummary? {
        let json: JSON?
        do {
            json = try await expect(.GET, "/volumes/\(PercentEncoding.encode(id))")?["volume"]
        } catch let error as NovaError where error.code.status == 404 {
            return nil
        }
        guard let json, let volumeID = json["id"]?.stringValue else { return nil }
        let owner = json["os-vol-tenant-attr:tenant_id"]?.stringValue ?? ""
        if let project, owner != project { return nil }
        var metadata: [String: String] = [:]
        for (key, value) in json["volume_image_metadata"]?.objectValue?.entries ?? [] {
            metadata[key] = value.stringValue ?? value.serialized()
        }
        return VolumeSummary(
            id: volumeID, projectID: owner, status: json["status"]?.stringValue ?? "",
            size: json["size"]?.intValue ?? 0, multiattach: json["multiattach"]?.boolValue ?? false,
            bootable: json["bootable"]?.stringValue == "true",
            availabilityZone: json["availability_zone"]?.stringValue ?? "", imageMetadata: metadata)
    }

    public func reserveAttachment(volumeID: String, instanceUUID: String) async throws -> String {
        let json = try await expect(
            .POST, "/attachments",
            json: ["attachment": ["volume_uuid": .string(volumeID), "instance_uuid": .string(instanceUUID)]])
        guard let id = json?["attachment"]?["id"]?.stringValue else {
            throw NovaError.serviceUnavailable("The volume service gave no attachment id.")
        }
        return id
    }

    public func connectAttachment(id: String, connector: JSONObject) async throws -> JSON {
        let json = try await expect(
            .PUT, "/attachments/\(PercentEncoding.encode(id))", json: ["attachment": ["connector": .object(connector)]])
        return json?["attachment"]?["connection_info"] ?? .null
    }

    public func completeAttachment(id: String) async throws {
        try await expect(.POST, "/attachments/\(PercentEncoding.encode(id))/action", json: ["os-complete": .null])
    }

    public func beginDetaching(volumeID: String) async throws {
        try await expect(
            .POST, "/volumes/\(PercentEncoding.encode(volumeID))/action", json: ["os-begin_detaching": [:]])
    }

    public func rollDetaching(volumeID: String) async throws {
        try await expect(.POST, "/volumes/\(PercentEncoding.encode(volumeID))/action", json: ["os-roll_detaching": [:]])
    }

    public func deleteAttachment(id: String) async throws {
        do {
            try await expect(.DELETE, "/attachments/\(PercentEncoding.encode(id))")
        } catch let error as NovaError where error.code.status == 404 {}
    }

    public func deleteVolume(id: String) async throws {
        try await expect(.DELETE, "/volumes/\(PercentEncoding.encode(id))")
    }

    /// Made with the owner's token at the owner's project (Cinder takes the project from the token and wants
    /// the same one in the URL), as Nova makes a server's volumes with the user's context.
    public func createVolume(_ request: VolumeCreation, owner: RPCContext) async throws -> VolumeSummary {
        guard let token = owner.authToken else {
            throw NovaError.serviceUnavailable(
                "The request carries no token of \(owner.projectID) to make its volume with.")
        }
        let base = Self.projectEndpoint(try await session.endpoint("block-storage"), project: owner.projectID)
        let response = try await session.send(
            url: base + "/volumes", .POST, headers: Self.version, json: request.body, token: token)
        guard response.isSuccess, let id = response.json?["volume"]?["id"]?.stringValue else {
            throw NovaError(NovaError.Code(status: response.status, name: "volumeFault"), response.errorMessage)
        }
        guard let made = try await volume(id: id, project: nil) else { throw NovaError.volumeNotFound(id) }
        return made
    }

    public func request(_ method: String, _ path: String, body: JSON?, as user: NetworkUser) async throws -> JSON? {
        let base = Self.projectEndpoint(
            try await session.endpoint("block-storage"), project: user.credentials.projectID)
        let response = try await session.send(
            url: base + path, HTTPMethod(rawValue: method), json: body, token: user.token)
        guard response.isSuccess else {
            throw NovaError(NovaError.Code(status: response.status, name: "volumeFault"), response.errorMessage)
        }
        return response.json
    }

    /// The block-storage endpoint of `project`: the catalog's names the service's own project last.
    static func projectEndpoint(_ endpoint: String, project: String) -> String {
        var parts = endpoint.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let last = parts.last, last.count >= 32, last.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
            parts.removeLast()
        }
        return parts.joined(separator: "/") + "/" + PercentEncoding.encode(project)
    }

    public func snapshot(id: String, project: String?) async throws -> SnapshotSummary? {
        let json: JSON?
        do {
            json = try await expect(.GET, "/snapshots/\(PercentEncoding.encode(id))")?["snapshot"]
        } catch let error as NovaError where error.code.status == 404 {
            return nil
        }
        guard let json, let snapshotID = json["id"]?.stringValue else { return nil }
        if let project, json["os-extended-snapshot-attributes:project_id"]?.stringValue != project { return nil }
        return SnapshotSummary(
            id: snapshotID, volumeID: json["volume_id"]?.stringValue ?? "", status: json["status"]?.stringValue ?? "",
            size: json["size"]?.intValue ?? 0)
    }

    public func volumeTypeName(_ nameOrID: String, project: String) async throws -> String? {
        let type: JSON?
        do {
            type = try await expect(.GET, "/types/\(PercentEncoding.encode(nameOrID))")?["volume_type"]
        } catch let error as NovaError where error.code.status == 404 {
            return nil
        }
        guard let type, let id = type["id"]?.stringValue, let name = type["name"]?.stringValue else { return nil }
        if type["os-volume-type-access:is_public"]?.boolValue == false {
            let access = try await expect(.GET, "/types/\(PercentEncoding.encode(id))/os-volume-type-access")
            let projects = access?["volume_type_access"]?.arrayValue?.compactMap { $0["project_id"]?.stringValue }
            guard projects?.contains(project) == true else { return nil }
        }
        return name
    }
}
