import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

/// The attachment steps Nova (or any client of the attachments API, 3.27) takes: reserve, give the compute
/// host's connector (the backend exports the volume for this attachment), complete, delete.
extension VolumeAPI {
    public func reserveAttachment(
        volumeID: String, instanceUUID: String?, connector: VolumeConnector?, mode: String, caller: Credentials,
        version: APIVersion = .volumeMaximum
    ) async throws -> VolumeAttachment {
        let volume = try await visibleVolume(volumeID, caller)
        let attachment = VolumeAttachment(
            id: newID(), volumeID: volume.id, projectID: volume.projectID, instanceUUID: instanceUUID,
            attachMode: mode, at: clock.now)
        let (reserved, _) = try await store.createAttachment(attachment) { volume, related in
            try AttachmentRules.reserve(&volume, others: related.attachments, for: instanceUUID)
        }
        guard let connector else { return reserved }
        return try await connectAttachment(reserved.id, connector: connector, caller: caller, version: version)
    }

    /// The backend's export for the attachment, recorded with the connector: `attaching` until completed
    /// (before 3.44, which has no completion, attached at once).
    public func connectAttachment(
        _ id: String, connector: VolumeConnector, caller: Credentials, version: APIVersion = .volumeMaximum
    ) async throws -> VolumeAttachment {
        let attachment = try await visibleAttachment(id, caller)
        let volume = try await visibleVolume(attachment.volumeID, caller)
        let info = try await worker.backend.initializeConnection(
            volume, attachmentID: id, connector: connector, readOnly: attachment.attachMode == "ro")
        let connection = Self.connectionInfo(info, attachment: attachment)
        let connectorText = try StoredJSONText.encode(connector)
        let completesNow = version < APIVersion(3, 44)
        let now = clock.now
        let (updated, _) = try await store.updateAttachment(id: id) { attachment, volume, related in
            attachment.connector = connectorText
            attachment.connectionInfo = connection.serialized()
            attachment.attachedHost = connector.host
            attachment.mountpoint = connector.mountpoint ?? attachment.mountpoint
            attachment.attachStatus = completesNow ? AttachmentStatus.attached : AttachmentStatus.attaching
            if completesNow { attachment.attachTime = now }
            attachment.updatedAt = now
            AttachmentRules.settle(
                &volume, remaining: related.attachments.map { $0.id == attachment.id ? attachment : $0 })
        }
        return updated
    }

    /// Cinder's connection info of an attachment, as `attachment_update` answers it.
    static func connectionInfo(_ info: ConnectionInfo, attachment: VolumeAttachment) -> JSON {
        var data = JSONObject(info.data.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })
        data["attachment_id"] = .string(attachment.id)
        return [
            "driver_volume_type": .string(info.driverVolumeType), "data": .object(data),
            "attachment_id": .string(attachment.id),
        ]
    }

    /// The guest has the volume: attached, and the volume in-use. As in Cinder, an attachment without a
    /// connection may be completed: Nova does so for a shelved, offloaded server, whose unshelve connects it.
    public func completeAttachment(_ id: String, caller: Credentials) async throws {
        _ = try await visibleAttachment(id, caller)
        let now = clock.now
        try await store.updateAttachment(id: id) { attachment, volume, related in
            attachment.attachStatus = AttachmentStatus.attached
            attachment.attachTime = attachment.attachTime ?? now
            attachment.updatedAt = now
            AttachmentRules.settle(
                &volume, remaining: related.attachments.map { $0.id == attachment.id ? attachment : $0 })
        }
    }

    /// Ends the export and forgets the attachment; the volume is available again when it was the last.
    @discardableResult
    public func deleteAttachment(_ id: String, caller: Credentials) async throws -> Volume {
        let attachment = try await visibleAttachment(id, caller)
        try await worker.backend.terminateConnection(
            try await store.volume(id: attachment.volumeID), attachmentID: id)
        return try await store.deleteAttachment(id: id) { volume, related in
            AttachmentRules.settle(&volume, remaining: related.attachments)
        }
    }

    func visibleAttachment(_ id: String, _ caller: Credentials) async throws -> VolumeAttachment {
        guard let attachment = try await store.attachment(id: id),
            caller.isAdmin || attachment.projectID == caller.projectID
        else { throw NovaError.attachmentNotFound(id) }
        return attachment
    }

    static func connector(_ value: JSON?) throws -> VolumeConnector? {
        guard let value, !value.isNull else { return nil }
        guard let object = value.objectValue else {
            throw NovaError.invalidVolumeInput("connector must be a dictionary.")
        }
        let host = try CheckedInput.text(object["host"], field: "host", length: 0...255) ?? ""
        return VolumeConnector(
            host: host, ip: try CheckedInput.text(object["ip"], field: "ip", length: 0...255),
            initiator: try CheckedInput.text(object["initiator"], field: "initiator", length: 0...1024),
            multipath: object["multipath"]?.boolValue ?? false,
            mountpoint: try CheckedInput.text(object["mountpoint"], field: "mountpoint", length: 1...255),
            machineID: try CheckedInput.text(object["machine_id"], field: "machine_id", length: 1...64))
    }

    func registerAttachments(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("attachments") { request, context in try await listAttachments(request, context, detail: false) }
        v3.get("attachments/detail") { request, context in try await listAttachments(request, context, detail: true) }
        v3.get("attachments/{id}") { request, context in
            let caller = try attachmentCaller(context)
            let attachment = try await visibleAttachment(context.parameter("id"), caller)
            let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: "")
            return Response.json(["attachment": .object(views.attachment(attachment))])
        }
        v3.post("attachments") { request, context in
            let caller = try attachmentCaller(context)
            let body = try await body(request, context, resource: "attachment")
            guard let volumeID = try CheckedInput.text(body["volume_uuid"], field: "volume_uuid", length: 1...255)
            else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute volume_uuid. 'volume_uuid' is a required property")
            }
            let instance = try CheckedInput.text(
                nonNull(body["instance_uuid"]), field: "instance_uuid", length: 1...255)
            let mode = try CheckedInput.text(nonNull(body["mode"]), field: "mode", length: 1...8) ?? "rw"
            guard ["rw", "ro"].contains(mode), context.volumeVersion >= APIVersion(3, 54) || body["mode"] == nil else {
                throw NovaError.invalidVolumeInput("Invalid attachment mode '\(mode)' for volume \(volumeID).")
            }
            let attachment = try await reserveAttachment(
                volumeID: volumeID, instanceUUID: instance, connector: try Self.connector(body["connector"]),
                mode: mode, caller: caller, version: context.volumeVersion)
            let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: "")
            return Response.json(["attachment": .object(views.attachment(attachment))])
        }
        v3.put("attachments/{id}") { request, context in
            let caller = try attachmentCaller(context)
            let body = try await body(request, context, resource: "attachment")
            guard let connector = try Self.connector(body["connector"]) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute connector. 'connector' is a required property")
            }
            let attachment = try await connectAttachment(
                context.parameter("id"), connector: connector, caller: caller, version: context.volumeVersion)
            let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: "")
            return Response.json(["attachment": .object(views.attachment(attachment))])
        }
        v3.post("attachments/{id}/action") { request, context in
            let caller = try attachmentCaller(context)
            let json = try await request.jsonBody(context: context)
            guard json["os-complete"] != nil, context.volumeVersion >= APIVersion(3, 44) else {
                throw NovaError.badRequest("There is no such action (os-complete needs 3.44 or later)")
            }
            try await completeAttachment(context.parameter("id"), caller: caller)
            return Response.empty(status: 204)
        }
        v3.delete("attachments/{id}") { request, context in
            let caller = try attachmentCaller(context)
            let volume = try await deleteAttachment(context.parameter("id"), caller: caller)
            let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: "")
            let remaining = try await store.attachments(volumeIDs: [volume.id]).map {
                JSON.object(views.attachment($0))
            }
            return Response.json(["attachments": .array(remaining)])
        }
    }

    /// The attachments API is 3.27 and later.
    func attachmentCaller(_ context: NovaRequestContext) throws -> Credentials {
        guard context.volumeVersion >= APIVersion(3, 27) else {
            throw NovaError.notFound("The resource could not be found (attachments need microversion 3.27).")
        }
        return try caller(context)
    }

    func listAttachments(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> Response {
        let caller = try attachmentCaller(context)
        let query = VolumeListQuery(request.query, version: context.volumeVersion)
        let project = query.allProjects(caller) ? nil : caller.projectID
        let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: request.baseURL(fallback: ""))
        let items = try await store.attachments(project: project).map {
            var view = views.attachment($0)
            view["instance_uuid"] = view["instance"]
            view["volume_uuid"] = view["volume_id"]
            view["created_at"] = VolumeViews.time($0.createdAt)
            return view
        }
        let summary: ((JSONObject) -> JSONObject)? =
            detail
            ? nil
            : {
                [
                    "id": $0["id"] ?? .null, "volume_id": $0["volume_id"] ?? .null, "instance": $0["instance"] ?? .null,
                    "status": $0["status"] ?? .null,
                ]
            }
        let body = try query.respond(
            items, collection: "attachments", filters: ["volume_id", "volume_uuid", "instance_uuid", "status"],
            path: "/\(Self.prefix)/v3/\(caller.projectID)/attachments" + (detail ? "/detail" : ""),
            baseURL: request.baseURL(fallback: ""), summary: summary, hidden: ["created_at"])
        return Response.json(body)
    }
}

/// A Codable value as the JSON text an attachment keeps.
enum StoredJSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
