import NovaCore

/// What an attachment step does to its volume (cinder/volume/api.py attachment_*): pure, so the store applies
/// it inside the transaction that stores it.
public enum AttachmentRules {
    /// A new reservation: an available volume becomes `reserved`; a multiattach volume already in use stays so.
    /// A volume reserved or in use by `instanceUUID` may be reserved for it again: Nova does so to move the
    /// server to another host (a new attachment there, the old one deleted once it arrived; Cinder's override).
    public static func reserve(
        _ volume: inout Volume, others: [VolumeAttachment], for instanceUUID: String? = nil
    ) throws(NovaError) {
        let active = others.filter { $0.attachStatus != AttachmentStatus.detached }
        if let instanceUUID, [VolumeStatus.inUse, VolumeStatus.reserved].contains(volume.status),
            active.contains(where: { $0.instanceUUID == instanceUUID })
        {
            return
        }
        if !active.isEmpty, !volume.multiattach {
            throw .invalidVolume(
                "Volume \(volume.id) status must be available or downloading to reserve, but the current status is "
                    + "\(volume.status).")
        }
        switch volume.status {
        case VolumeStatus.available, VolumeStatus.downloading:
            volume.status = VolumeStatus.reserved
        case VolumeStatus.inUse, VolumeStatus.reserved, VolumeStatus.attaching:
            guard volume.multiattach else { fallthrough }
        default:
            throw .invalidVolume(
                "Volume \(volume.id) status must be available or downloading to reserve, but the current status is "
                    + "\(volume.status).")
        }
    }

    /// The volume's status from its attachments once one changed or went: in-use while one is attached,
    /// attaching or reserved while one is on its way, else available.
    public static func settle(_ volume: inout Volume, remaining: [VolumeAttachment]) {
        let statuses = Set(remaining.map(\.attachStatus))
        if statuses.contains(AttachmentStatus.attached) {
            volume.status = VolumeStatus.inUse
        } else if statuses.contains(AttachmentStatus.attaching) {
            volume.status = VolumeStatus.attaching
        } else if statuses.contains(AttachmentStatus.reserved) {
            volume.status = VolumeStatus.reserved
        } else if statuses.contains(AttachmentStatus.detaching) {
            volume.status = VolumeStatus.detaching
        } else if [VolumeStatus.inUse, VolumeStatus.reserved, VolumeStatus.attaching, VolumeStatus.detaching]
            .contains(volume.status)
        {
            volume.status = VolumeStatus.available
        }
    }
}
