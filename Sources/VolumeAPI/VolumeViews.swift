import APISupport
import Foundation
import Hummingbird
import NovaCore
import VolumeCore

/// Cinder's views of volumes, snapshots and attachments, by microversion; admin-only attributes for admins.
struct VolumeViews {
    let caller: Credentials
    let version: APIVersion
    let baseURL: String

    func links(_ collection: String, _ id: String) -> JSON {
        let base = baseURL + "/\(VolumeAPI.prefix)"
        return [
            ["rel": "self", "href": .string("\(base)/v3/\(caller.projectID)/\(collection)/\(id)")],
            ["rel": "bookmark", "href": .string("\(base)/\(caller.projectID)/\(collection)/\(id)")],
        ]
    }

    static func time(_ date: Date?) -> JSON {
        guard let date else { return .null }
        return .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            .replacingSuffix()
    }

    /// The same id for the same backend host on every run.
    static func serviceUUID(_ host: String) -> String {
        let hex = (0..<4).map { part in
            let value = StableHash.fnv1a32("cinder-volume:\(part):" + host)
            return StableHash.hex([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) })
        }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    static func optional(_ text: String?) -> JSON { text.map(JSON.string) ?? .null }

    static func strings(_ values: [String: String]) -> JSON {
        .object(JSONObject(values.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
    }

    /// A volume in full (`GET /volumes/{id}`, `/volumes/detail`). Cinder's API extensions (the project, host
    /// and migration attributes, `volume_image_metadata`) decorate show and list only: `extensions` is false
    /// for the answers to create and update.
    func volume(_ volume: Volume, attachments: [VolumeAttachment], type: VolumeType?, extensions: Bool = true)
        -> JSONObject
    {
        var view: JSONObject = [
            "id": .string(volume.id), "name": .string(volume.name), "description": .string(volume.description),
            "status": .string(volume.status), "size": .int(volume.size),
            "availability_zone": .string(volume.availabilityZone), "created_at": Self.time(volume.createdAt),
            "updated_at": Self.time(volume.updatedAt), "bootable": .string(volume.bootable ? "true" : "false"),
            "encrypted": false, "multiattach": .bool(volume.multiattach),
            "snapshot_id": Self.optional(volume.snapshotID), "source_volid": Self.optional(volume.sourceVolumeID),
            "volume_type": .string(type?.name ?? volume.volumeTypeID), "metadata": Self.strings(volume.metadata),
            "links": links("volumes", volume.id), "user_id": .string(volume.userID),
            "replication_status": .null, "consistencygroup_id": .null,
            "attachments": .array(
                attachments.filter { $0.attachStatus == AttachmentStatus.attached }.map(volumeAttachment)),
        ]
        if extensions {
            view["os-vol-tenant-attr:tenant_id"] = .string(volume.projectID)
            if !volume.imageMetadata.isEmpty { view["volume_image_metadata"] = Self.strings(volume.imageMetadata) }
            if caller.isAdmin {
                view["os-vol-host-attr:host"] = Self.optional(volume.host)
                view["os-vol-mig-status-attr:migstat"] = .null
                view["os-vol-mig-status-attr:name_id"] = .null
            }
        }
        if version >= APIVersion(3, 47) { view["backup_id"] = .null }
        if version >= APIVersion(3, 13) { view["group_id"] = .null }
        if version >= APIVersion(3, 21), caller.isAdmin { view["provider_id"] = .null }
        if version >= APIVersion(3, 48) {
            view["shared_targets"] = false
            view["service_uuid"] = volume.host.map { .string(Self.serviceUUID($0)) } ?? .null
        }
        if version >= APIVersion(3, 61), caller.isAdmin { view["cluster_name"] = .null }
        if version >= APIVersion(3, 63) { view["volume_type_id"] = .string(volume.volumeTypeID) }
        if version >= APIVersion(3, 64) { view["encryption_key_id"] = .null }
        if version >= APIVersion(3, 65) { view["consumes_quota"] = true }
        return view
    }

    /// The plain list's item.
    static func summary(_ view: JSONObject) -> JSONObject {
        ["id": view["id"] ?? .null, "name": view["name"] ?? .null, "links": view["links"] ?? .null]
    }

    /// An attachment as the volume's `attachments` lists it.
    func volumeAttachment(_ attachment: VolumeAttachment) -> JSON {
        [
            "id": .string(attachment.volumeID), "attachment_id": .string(attachment.id),
            "volume_id": .string(attachment.volumeID), "server_id": Self.optional(attachment.instanceUUID),
            "host_name": Self.optional(attachment.attachedHost), "device": Self.optional(attachment.mountpoint),
            "attached_at": Self.time(attachment.attachTime),
        ]
    }

    func snapshot(_ snapshot: VolumeSnapshot) -> JSONObject {
        var view: JSONObject = [
            "id": .string(snapshot.id), "name": .string(snapshot.name), "description": .string(snapshot.description),
            "status": .string(snapshot.status), "size": .int(snapshot.size), "volume_id": .string(snapshot.volumeID),
            "created_at": Self.time(snapshot.createdAt), "updated_at": Self.time(snapshot.updatedAt),
            "metadata": Self.strings(snapshot.metadata),
            "os-extended-snapshot-attributes:progress": .string(
                snapshot.status == SnapshotStatus.available ? "100%" : "0%"),
            "os-extended-snapshot-attributes:project_id": .string(snapshot.projectID),
            "links": links("snapshots", snapshot.id),
        ]
        if version >= APIVersion(3, 14) { view["group_snapshot_id"] = .null }
        if version >= APIVersion(3, 41) { view["user_id"] = .string(snapshot.userID) }
        if version >= APIVersion(3, 65) { view["consumes_quota"] = true }
        return view
    }

    /// An attachment of the attachments API (3.27).
    func attachment(_ attachment: VolumeAttachment) -> JSONObject {
        [
            "id": .string(attachment.id), "status": .string(attachment.attachStatus),
            "instance": Self.optional(attachment.instanceUUID), "volume_id": .string(attachment.volumeID),
            "attached_at": Self.time(attachment.attachTime), "detached_at": Self.time(attachment.detachTime),
            "attach_mode": .string(attachment.attachMode),
            "connection_info": attachment.connectionInfo.flatMap { JSON.parse(Array($0.utf8)) } ?? .null,
        ]
    }

    func type(_ type: VolumeType) -> JSONObject {
        var view: JSONObject = [
            "id": .string(type.id), "name": .string(type.name), "description": .string(type.description),
            "is_public": .bool(type.isPublic), "os-volume-type-access:is_public": .bool(type.isPublic),
            "qos_specs_id": .null,
        ]
        if caller.isAdmin { view["extra_specs"] = Self.strings(type.extraSpecs) }
        return view
    }
}

extension JSON {
    /// Cinder's times carry microseconds and no zone: "2026-12-04T05:12:33.123456".
    fileprivate func replacingSuffix() -> JSON {
        guard case .string(var text) = self else { return self }
        if text.hasSuffix("Z") { text.removeLast() }
        if let dot = text.firstIndex(of: ".") {
            let fraction = text[text.index(after: dot)...]
            text = String(text[...dot]) + fraction + String(repeating: "0", count: max(0, 6 - fraction.count))
        }
        return .string(text)
    }
}
