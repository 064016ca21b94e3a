import APISupport
import Foundation
import NovaCore

/// CreateVolume, DescribeVolumes, AttachVolume, DetachVolume, DeleteVolume, CreateSnapshot, DescribeSnapshots and
/// DeleteSnapshot over the block-storage API (volumes attach through the compute API, as Nova attaches them).
extension EC2Call {
    static let volumeStates = [
        "creating": "creating", "available": "available", "in-use": "in-use", "attaching": "in-use",
        "detaching": "in-use", "reserved": "in-use", "deleting": "deleting", "error": "error",
        "error_deleting": "error", "extending": "in-use", "maintenance": "in-use",
    ]
    static let snapshotStates = [
        "creating": "pending", "available": "completed", "error": "error", "deleting": "pending",
        "error_deleting": "error",
    ]

    var volumeRoot: String { "/" + credentials.projectID }

    func volumeNotFound(_ id: String) -> EC2Error {
        EC2Error("InvalidVolume.NotFound", "The volume '\(id)' does not exist.")
    }

    func snapshotNotFound(_ id: String) -> EC2Error {
        EC2Error("InvalidSnapshot.NotFound", "The snapshot '\(id)' does not exist.")
    }

    func uuid(of id: String, kind: String, notFound: EC2Error) async throws -> String {
        guard id.hasPrefix(kind + "-"), let uuid = try await api.store.uuids(kind: kind, ec2IDs: [id])[id] else {
            throw notFound
        }
        return uuid
    }

    func createVolume() async throws -> [XMLNode] {
        var volume: JSONObject = [:]
        if let snapshot = params["SnapshotId"] {
            volume["snapshot_id"] = .string(
                try await uuid(of: snapshot, kind: "snap", notFound: snapshotNotFound(snapshot)))
        }
        if let size = try params.integer("Size", in: 1...16384) {
            volume["size"] = .int(size)
        } else if volume["snapshot_id"] == nil {
            throw EC2Error.missing("Size")
        }
        if let zone = params["AvailabilityZone"], !zone.isEmpty { volume["availability_zone"] = .string(zone) }
        if let type = params["VolumeType"], !type.isEmpty { volume["volume_type"] = .string(type) }
        var tags: [(String, String)] = []
        for number in params.numbered("TagSpecification") {
            tags += params.tags("TagSpecification.\(number).Tag")
        }
        if !tags.isEmpty { volume["metadata"] = .object(JSONObject(tags.map { ($0.0, JSON.string($0.1)) })) }
        if let name = tags.first(where: { $0.0 == "Name" })?.1 { volume["name"] = .string(name) }
        try dryRun(write: true)
        let created = try await expect(.volume, .post, volumeRoot + "/volumes", body: ["volume": .object(volume)])
        return try await volumeNodes(created["volume"] ?? .null, attachments: false)
    }

    /// A volume as EC2 shows it.
    func volumeNodes(_ volume: JSON, attachments: Bool = true) async throws -> [XMLNode] {
        let volumeID = try await api.store.ec2ID(kind: "vol", uuid: volume["id"]?.stringValue ?? "")
        var nodes: [XMLNode] = [
            .text("volumeId", volumeID),
            .text("size", String(volume["size"]?.intValue ?? 0)),
        ]
        if let snapshot = volume["snapshot_id"]?.stringValue {
            nodes.append(.text("snapshotId", try await api.store.ec2ID(kind: "snap", uuid: snapshot)))
        } else {
            nodes.append(.text("snapshotId", ""))
        }
        nodes += [
            .text("availabilityZone", volume["availability_zone"]?.stringValue ?? ""),
            .text("status", Self.volumeStates[volume["status"]?.stringValue ?? "", default: "error"]),
            .text("createTime", (volume["created_at"]?.stringValue).map { $0.hasSuffix("Z") ? $0 : $0 + "Z" } ?? ""),
            .text("volumeType", volume["volume_type"]?.stringValue ?? "standard"), .text("encrypted", "false"),
        ]
        if attachments {
            var items: [[XMLNode]] = []
            for attachment in volume["attachments"]?.arrayValue ?? [] {
                guard let server = attachment["server_id"]?.stringValue else { continue }
                items.append([
                    .text("volumeId", volumeID),
                    .text("instanceId", try await api.store.ec2ID(kind: "i", uuid: server)),
                    .text("device", attachment["device"]?.stringValue ?? ""), .text("status", "attached"),
                    .text("attachTime", attachment["attached_at"]?.stringValue ?? ""),
                    .text("deleteOnTermination", "false"),
                ])
            }
            nodes.append(.set("attachmentSet", items))
        }
        let metadata = volume["metadata"]?.objectValue?.entries ?? []
        if !metadata.isEmpty {
            nodes.append(.set("tagSet", metadata.map { [.text("key", $0.0), .text("value", $0.1.stringValue ?? "")] }))
        }
        return nodes
    }

    func describeVolumes() async throws -> [XMLNode] {
        try dryRun(write: false)
        let volumes = try await expect(.volume, .get, volumeRoot + "/volumes/detail")["volumes"]?.arrayValue ?? []
        let ids = try await api.store.ec2IDs(kind: "vol", uuids: volumes.compactMap { $0["id"]?.stringValue })
        let wanted = params.list("VolumeId")
        let known = Set(ids.values)
        if let missing = wanted.first(where: { !known.contains($0) }) { throw volumeNotFound(missing) }
        let filters = try params.filters()
        var items: [[XMLNode]] = []
        for volume in volumes {
            guard let uuid = volume["id"]?.stringValue, let id = ids[uuid] else { continue }
            if !wanted.isEmpty, !wanted.contains(id) { continue }
            let status = Self.volumeStates[volume["status"]?.stringValue ?? "", default: "error"]
            var matches = true
            for filter in filters {
                let values: [String]
                switch filter.name {
                case "volume-id": values = [id]
                case "status": values = [status]
                case "availability-zone": values = [volume["availability_zone"]?.stringValue ?? ""]
                case "size": values = [String(volume["size"]?.intValue ?? 0)]
                case "attachment.instance-id":
                    let servers = (volume["attachments"]?.arrayValue ?? []).compactMap { $0["server_id"]?.stringValue }
                    values = Array(try await api.store.ec2IDs(kind: "i", uuids: servers).values)
                default:
                    if filter.name.hasPrefix("tag:") {
                        values = volume["metadata"]?[String(filter.name.dropFirst(4))]?.stringValue.map { [$0] } ?? []
                    } else {
                        throw EC2Error("InvalidParameterValue", "The filter '\(filter.name)' is invalid")
                    }
                }
                if !values.contains(where: { value in filter.values.contains { Self.wildcard($0, matches: value) } }) {
                    matches = false
                }
            }
            if matches { items.append(try await volumeNodes(volume)) }
        }
        return [.set("volumeSet", items)]
    }

    func attachVolume() async throws -> [XMLNode] {
        let volumeID = try params.required("VolumeId")
        let instanceID = try params.required("InstanceId")
        let volume = try await uuid(of: volumeID, kind: "vol", notFound: volumeNotFound(volumeID))
        let server = try await uuid(of: instanceID, kind: "i", notFound: instanceNotFound(instanceID))
        var attachment: JSONObject = ["volumeId": .string(volume)]
        if let device = params["Device"], !device.isEmpty { attachment["device"] = .string(device) }
        try dryRun(write: true)
        let attached = try await expect(
            .compute, .post, "/servers/\(server)/os-volume_attachments",
            body: ["volumeAttachment": .object(attachment)], notFound: volumeNotFound(volumeID),
            conflict: EC2Error("IncorrectState", "The volume '\(volumeID)' or instance cannot be attached now."))
        return [
            .text("volumeId", volumeID), .text("instanceId", instanceID),
            .text("device", attached["volumeAttachment"]?["device"]?.stringValue ?? ""),
            .text("status", "attaching"), .text("attachTime", Timestamp.iso(api.clock.now)),
        ]
    }

    func detachVolume() async throws -> [XMLNode] {
        let volumeID = try params.required("VolumeId")
        let volume = try await uuid(of: volumeID, kind: "vol", notFound: volumeNotFound(volumeID))
        let shown = try await expect(
            .volume, .get, volumeRoot + "/volumes/" + volume, notFound: volumeNotFound(volumeID))
        let attachments = shown["volume"]?["attachments"]?.arrayValue ?? []
        var server = attachments.first?["server_id"]?.stringValue
        if let instanceID = params["InstanceId"] {
            let wanted = try await uuid(of: instanceID, kind: "i", notFound: instanceNotFound(instanceID))
            server = attachments.contains { $0["server_id"]?.stringValue == wanted } ? wanted : nil
        }
        guard let server else {
            throw EC2Error("IncorrectState", "The volume '\(volumeID)' is not attached.")
        }
        try dryRun(write: true)
        try await expect(
            .compute, .delete, "/servers/\(server)/os-volume_attachments/\(volume)", notFound: volumeNotFound(volumeID),
            conflict: EC2Error("IncorrectState", "The volume '\(volumeID)' cannot be detached now."))
        return [
            .text("volumeId", volumeID), .text("instanceId", try await api.store.ec2ID(kind: "i", uuid: server)),
            .text("device", attachments.first { $0["server_id"]?.stringValue == server }?["device"]?.stringValue ?? ""),
            .text("status", "detaching"),
        ]
    }

    func deleteVolume() async throws -> [XMLNode] {
        let volumeID = try params.required("VolumeId")
        let volume = try await uuid(of: volumeID, kind: "vol", notFound: volumeNotFound(volumeID))
        try dryRun(write: true)
        try await expect(
            .volume, .delete, volumeRoot + "/volumes/" + volume, notFound: volumeNotFound(volumeID),
            conflict: EC2Error("VolumeInUse", "The volume '\(volumeID)' is in use."))
        return [.text("return", "true")]
    }

    func snapshotNodes(_ snapshot: JSON) async throws -> [XMLNode] {
        [
            .text("snapshotId", try await api.store.ec2ID(kind: "snap", uuid: snapshot["id"]?.stringValue ?? "")),
            .text("volumeId", try await api.store.ec2ID(kind: "vol", uuid: snapshot["volume_id"]?.stringValue ?? "")),
            .text("status", Self.snapshotStates[snapshot["status"]?.stringValue ?? "", default: "error"]),
            .text("startTime", (snapshot["created_at"]?.stringValue).map { $0.hasSuffix("Z") ? $0 : $0 + "Z" } ?? ""),
            .text("progress", snapshot["status"]?.stringValue == "available" ? "100%" : "0%"),
            .text("ownerId", credentials.projectID), .text("volumeSize", String(snapshot["size"]?.intValue ?? 0)),
            .text("description", snapshot["description"]?.stringValue ?? ""), .text("encrypted", "false"),
        ]
    }

    func createSnapshot() async throws -> [XMLNode] {
        let volumeID = try params.required("VolumeId")
        let volume = try await uuid(of: volumeID, kind: "vol", notFound: volumeNotFound(volumeID))
        var snapshot: JSONObject = ["volume_id": .string(volume), "force": true]
        if let description = params["Description"] {
            guard description.count <= 255 else {
                throw EC2Error.invalid("Description", description, "It is at most 255 characters.")
            }
            snapshot["description"] = .string(description)
        }
        try dryRun(write: true)
        let created = try await expect(
            .volume, .post, volumeRoot + "/snapshots", body: ["snapshot": .object(snapshot)],
            notFound: volumeNotFound(volumeID))
        return try await snapshotNodes(created["snapshot"] ?? .null)
    }

    func describeSnapshots() async throws -> [XMLNode] {
        try dryRun(write: false)
        let snapshots =
            try await expect(.volume, .get, volumeRoot + "/snapshots/detail")["snapshots"]?.arrayValue ?? []
        let ids = try await api.store.ec2IDs(kind: "snap", uuids: snapshots.compactMap { $0["id"]?.stringValue })
        let wanted = params.list("SnapshotId")
        let known = Set(ids.values)
        if let missing = wanted.first(where: { !known.contains($0) }) { throw snapshotNotFound(missing) }
        var items: [[XMLNode]] = []
        for snapshot in snapshots {
            guard let uuid = snapshot["id"]?.stringValue, let id = ids[uuid], wanted.isEmpty || wanted.contains(id)
            else { continue }
            items.append(try await snapshotNodes(snapshot))
        }
        return [.set("snapshotSet", items)]
    }

    func deleteSnapshot() async throws -> [XMLNode] {
        let snapshotID = try params.required("SnapshotId")
        let snapshot = try await uuid(of: snapshotID, kind: "snap", notFound: snapshotNotFound(snapshotID))
        try dryRun(write: true)
        try await expect(
            .volume, .delete, volumeRoot + "/snapshots/" + snapshot, notFound: snapshotNotFound(snapshotID),
            conflict: EC2Error("IncorrectState", "The snapshot '\(snapshotID)' cannot be deleted now."))
        return [.text("return", "true")]
    }
}
