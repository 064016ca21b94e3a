/// A volume's statuses (cinder/objects/fields.py VolumeStatus) and the life it moves through:
/// creating -> available -> reserved/attaching -> in-use -> detaching -> available, deleting, and the
/// error statuses a failed step leaves (each with a reason).
public enum VolumeStatus {
    public static let creating = "creating"
    public static let available = "available"
    public static let reserved = "reserved"
    public static let attaching = "attaching"
    public static let inUse = "in-use"
    public static let detaching = "detaching"
    public static let deleting = "deleting"
    public static let extending = "extending"
    public static let uploading = "uploading"
    public static let downloading = "downloading"
    public static let maintenance = "maintenance"
    public static let error = "error"
    public static let errorDeleting = "error_deleting"
    public static let errorExtending = "error_extending"
    public static let errorRestoring = "error_restoring"

    /// Every status `os-reset_status` may set.
    public static let all: Set<String> = [
        creating, available, reserved, attaching, inUse, detaching, deleting, extending, uploading, downloading,
        maintenance, error, errorDeleting, errorExtending, errorRestoring, "backing-up", "restoring-backup",
        "error_backing-up", "awaiting-transfer", "retyping", "error_managing", "managing",
    ]

    /// The statuses a volume may be deleted from (cinder/volume/api.py delete).
    public static let deletable: Set<String> = [available, error, errorRestoring, errorExtending, "error_managing"]
}

/// A snapshot's statuses.
public enum SnapshotStatus {
    public static let creating = "creating"
    public static let available = "available"
    public static let deleting = "deleting"
    public static let error = "error"
    public static let errorDeleting = "error_deleting"

    public static let all: Set<String> = [
        creating, available, deleting, error, errorDeleting, "backing-up", "restoring",
    ]
}

/// An attachment's statuses (cinder/objects/fields.py VolumeAttachStatus).
public enum AttachmentStatus {
    public static let reserved = "reserved"
    public static let attaching = "attaching"
    public static let attached = "attached"
    public static let detaching = "detaching"
    public static let detached = "detached"
    public static let errorAttaching = "error_attaching"
    public static let errorDetaching = "error_detaching"

    public static let all: Set<String> = [
        reserved, attaching, attached, detaching, detached, errorAttaching, errorDetaching,
    ]
}
