import APISupport
import HTTPTypes
import Foundation
import NovaCore
import VolumeCore

/// Nova's calls to the block-storage service when both run in one process: the same steps and rules as the
/// HTTP API, with the compute service's credentials.
public struct LocalVolumeClient: VolumeClient {
    let api: VolumeAPI
    let caller = NetworkUser.service.credentials
    let routes: InProcessRoutes

    public init(api: VolumeAPI) {
        self.api = api
        routes = InProcessRoutes(base: "/\(VolumeAPI.prefix)/v3") { api.register(on: $0) }
    }

    public func request(_ method: String, _ path: String, body: JSON?, as user: NetworkUser) async throws -> JSON? {
        let project = PercentEncoding.encode(user.credentials.projectID)
        return try await routes.call(
            HTTPRequest.Method(method) ?? .get, "/\(project)" + path, body: body, as: user.credentials)
    }

    static func summary(_ volume: Volume) -> VolumeSummary {
        VolumeSummary(
            id: volume.id, projectID: volume.projectID, status: volume.status, size: volume.size,
            multiattach: volume.multiattach, bootable: volume.bootable, availabilityZone: volume.availabilityZone,
            imageMetadata: volume.imageMetadata)
    }

    public func volume(id: String, project: String?) async throws -> VolumeSummary? {
        guard let volume = try await api.store.volume(id: id), project == nil || volume.projectID == project else {
            return nil
        }
        return Self.summary(volume)
    }

    public func reserveAttachment(volumeID: String, instanceUUID: String) async throws -> String {
        try await api.reserveAttachment(
            volumeID: volumeID, instanceUUID: instanceUUID, connector: nil, mode: "rw", caller: caller
        ).id
    }

    public func connectAttachment(id: String, connector: JSONObject) async throws -> JSON {
        guard let parsed = try VolumeAPI.connector(.object(connector)) else {
            throw NovaError.badRequest("no connector")
        }
        let attachment = try await api.connectAttachment(id, connector: parsed, caller: caller)
        return attachment.connectionInfo.flatMap { JSON.parse(Array($0.utf8)) } ?? .null
    }

    public func completeAttachment(id: String) async throws {
        try await api.completeAttachment(id, caller: caller)
    }

    public func beginDetaching(volumeID: String) async throws { try await api.beginDetaching(volumeID) }

    public func rollDetaching(volumeID: String) async throws { try await api.rollDetaching(volumeID) }

    public func deleteAttachment(id: String) async throws {
        do {
            try await api.deleteAttachment(id, caller: caller)
        } catch let error as NovaError where error.code.status == 404 {}
    }

    public func deleteVolume(id: String) async throws {
        try await api.beginDelete(id, cascade: false, force: false)
    }

    public func createVolume(_ request: VolumeCreation, owner: RPCContext) async throws -> VolumeSummary {
        let caller = Credentials(
            userID: owner.userID, userName: owner.userID, projectID: owner.projectID, projectName: owner.projectID,
            roles: ["member", "reader"])
        let body = request.body["volume"]?.objectValue ?? [:]
        return Self.summary(try await api.createVolume(body, caller: caller))
    }

    public func snapshot(id: String, project: String?) async throws -> SnapshotSummary? {
        guard let snapshot = try await api.store.snapshot(id: id), project == nil || snapshot.projectID == project
        else { return nil }
        return SnapshotSummary(
            id: snapshot.id, volumeID: snapshot.volumeID, status: snapshot.status, size: snapshot.size)
    }

    public func volumeTypeName(_ nameOrID: String, project: String) async throws -> String? {
        guard let found = try await api.store.type(idOrName: nameOrID),
            found.type.isPublic || found.projects.contains(project)
        else { return nil }
        return found.type.name
    }
}
