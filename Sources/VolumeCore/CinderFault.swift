import NovaCore

/// Cinder's errors, in the words Cinder uses (its exceptions' message templates): the volume API renders them
/// as Cinder does, `{"badRequest": {"code": 400, "message": ...}}`.
extension NovaError {
    public static func volumeNotFound(_ id: String) -> NovaError {
        .notFound("Volume \(id) could not be found.")
    }

    public static func snapshotNotFound(_ id: String) -> NovaError {
        .notFound("Snapshot \(id) could not be found.")
    }

    public static func attachmentNotFound(_ id: String) -> NovaError {
        .notFound("Volume attachment could not be found with filter: attachment_id = \(id).")
    }

    public static func volumeTypeNotFound(_ id: String) -> NovaError {
        .notFound("Volume type with name or id \(id) could not be found.")
    }

    /// Cinder's InvalidVolume (400).
    public static func invalidVolume(_ why: String) -> NovaError {
        .badRequest("Invalid volume: \(why)")
    }

    /// Cinder's InvalidSnapshot (400).
    public static func invalidSnapshot(_ why: String) -> NovaError {
        .badRequest("Invalid snapshot: \(why)")
    }

    /// Cinder's InvalidInput (400).
    public static func invalidVolumeInput(_ why: String) -> NovaError {
        .badRequest("Invalid input received: \(why)")
    }

    /// Cinder's quota refusal (413, as VolumeSizeExceedsAvailableQuota and VolumeLimitExceeded are).
    public static func volumeQuotaExceeded(_ message: String) -> NovaError {
        NovaError(.overLimit, message)
    }
}
