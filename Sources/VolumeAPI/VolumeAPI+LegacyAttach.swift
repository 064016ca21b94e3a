import APISupport
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

/// The volume actions clients used before the attachments API (os-reserve ... os-detach), kept over the same
/// attachment records: an attachment is made by `os-initialize_connection` (or `os-attach`) and goes with
/// `os-detach`.
extension VolumeActionCall {
    func attachmentAction(_ action: String) async throws -> Response? {
        switch action {
        case "os-reserve":
            try await change { volume, related in
                try AttachmentRules.reserve(&volume, others: related.attachments)
                if volume.status == VolumeStatus.reserved { volume.status = VolumeStatus.attaching }
            }
        case "os-unreserve":
            try await change { volume, related in
                guard volume.status == VolumeStatus.attaching else { return }
                AttachmentRules.settle(&volume, remaining: related.attachments)
            }
        case "os-begin_detaching":
            try await api.beginDetaching(volume.id)
        case "os-roll_detaching":
            try await api.rollDetaching(volume.id)
        case "os-initialize_connection":
            guard let connector = try VolumeAPI.connector(argument["connector"]) else {
                throw NovaError.invalidVolumeInput("Must specify 'connector'")
            }
            let attachment = try await hostAttachment(connector.host)
            let connected = try await api.connectAttachment(attachment.id, connector: connector, caller: caller)
            let info = connected.connectionInfo.flatMap { JSON.parse(Array($0.utf8)) } ?? .null
            return Response.json(["connection_info": info])
        case "os-terminate_connection":
            guard let connector = try VolumeAPI.connector(argument["connector"]) else {
                throw NovaError.invalidVolumeInput("Must specify 'connector'")
            }
            for attachment in try await store.attachments(volumeIDs: [volume.id])
            where attachment.attachedHost == connector.host {
                try await api.worker.backend.terminateConnection(volume, attachmentID: attachment.id)
            }
        case "os-attach":
            let instance = try CheckedInput.text(argument["instance_uuid"], field: "instance_uuid", length: 1...255)
            let host = try CheckedInput.text(argument["host_name"], field: "host_name", length: 1...255)
            guard instance != nil || host != nil else {
                throw NovaError.invalidVolumeInput("Invalid request to attach volume to an invalid target")
            }
            let mountpoint = try CheckedInput.text(argument["mountpoint"], field: "mountpoint", length: 1...255)
            let attachment = try await hostAttachment(host)
            let now = api.clock.now
            try await store.updateAttachment(id: attachment.id) { attachment, volume, related in
                attachment.instanceUUID = instance ?? attachment.instanceUUID
                attachment.mountpoint = mountpoint
                attachment.attachedHost = host ?? attachment.attachedHost
                attachment.attachStatus = AttachmentStatus.attached
                attachment.attachTime = now
                AttachmentRules.settle(
                    &volume, remaining: related.attachments.map { $0.id == attachment.id ? attachment : $0 })
            }
        case "os-detach":
            let wanted = try CheckedInput.text(argument["attachment_id"], field: "attachment_id", length: 1...255)
            let attachments = try await store.attachments(volumeIDs: [volume.id])
            let attachment: VolumeAttachment
            if let wanted {
                guard let found = attachments.first(where: { $0.id == wanted }) else {
                    throw NovaError.attachmentNotFound(wanted)
                }
                attachment = found
            } else {
                guard attachments.count == 1, let only = attachments.first else {
                    throw NovaError.invalidVolume(
                        "Volume \(volume.id) has no single attachment: name the attachment_id.")
                }
                attachment = only
            }
            try await api.deleteAttachment(attachment.id, caller: caller)
        default:
            return nil
        }
        return Response.empty(status: 202)
    }

    /// The volume's attachment in progress for `host` (or any such), or a new reservation.
    func hostAttachment(_ host: String?) async throws -> VolumeAttachment {
        let open = try await store.attachments(volumeIDs: [volume.id]).filter {
            $0.attachStatus != AttachmentStatus.attached
                && (host == nil || $0.attachedHost == nil || $0.attachedHost == host)
        }
        if let found = open.first { return found }
        return try await api.reserveAttachment(
            volumeID: volume.id, instanceUUID: nil, connector: nil, mode: "rw", caller: caller)
    }
}

extension VolumeAPI {
    /// os-begin_detaching: an in-use volume is `detaching` (Nova, before it detaches or swaps it out).
    public func beginDetaching(_ id: String) async throws {
        let now = clock.now
        try await store.updateVolume(id: id) { volume, _ in
            guard volume.status == VolumeStatus.inUse else {
                throw NovaError.invalidVolume("Unable to detach volume. Volume status must be 'in-use'.")
            }
            volume.status = VolumeStatus.detaching
            volume.updatedAt = now
        }
    }

    /// os-roll_detaching: a `detaching` volume that stays attached is `in-use` again.
    public func rollDetaching(_ id: String) async throws {
        let now = clock.now
        try await store.updateVolume(id: id) { volume, _ in
            guard volume.status == VolumeStatus.detaching else { return }
            volume.status = VolumeStatus.inUse
            volume.updatedAt = now
        }
    }
}
