import Foundation
import NovaCore
import VolumeCore

extension VolumeWorker {
    /// At start: exports whose daemons died with the host are served again as they were (attached guests
    /// reconnect); an attachment caught between reservation and connection without its export goes back to
    /// `reserved` (its compute host asks again; a local path needs no export and stays); an export no attachment
    /// owns any more is ended.
    func recoverAttachments() async {
        let revived = await backend.restoreExports()
        if !revived.isEmpty { logger.info("volume exports served again after a stop: \(revived)") }
        do {
            let attachments = try await store.attachments()
            let exported = await backend.exportedAttachments()
            for attachment in attachments
            where attachment.attachStatus == AttachmentStatus.attaching && !exported.contains(attachment.id)
                && !ConnectionInfo.isLocal(attachment.connectionInfo)
            {
                let now = clock.now
                try await store.updateAttachment(id: attachment.id) { attachment, volume, related in
                    attachment.attachStatus = AttachmentStatus.reserved
                    attachment.connectionInfo = nil
                    attachment.updatedAt = now
                    AttachmentRules.settle(
                        &volume, remaining: related.attachments.map { $0.id == attachment.id ? attachment : $0 })
                }
                logger.info("attachment \(attachment.id) was interrupted while connecting: reserved again")
            }
            let known = Set(attachments.map(\.id))
            for stray in exported.subtracting(known) {
                try await backend.terminateConnection(nil, attachmentID: stray)
                logger.info("export of attachment \(stray), which no longer exists, ended")
            }
        } catch {
            logger.warning("the volume attachments could not be checked at start: \(error)")
        }
    }
}
