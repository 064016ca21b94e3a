import Foundation

/// A Cinder volume: its size in GiB, where its data is (`host`, `providerLocation`), and what it was made from.
public struct Volume: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var userID: String
    public var name: String
    public var description: String
    public var size: Int
    public var status: String
    public var availabilityZone: String
    public var volumeTypeID: String
    public var bootable: Bool
    public var multiattach: Bool
    public var snapshotID: String?
    public var sourceVolumeID: String?
    public var imageID: String?
    /// `volume_image_metadata`: the image's id, name, formats, sizes and properties, copied when the volume
    /// was made from it (Nova boots a volume-backed server with these as its image properties).
    public var imageMetadata: [String: String]
    public var metadata: [String: String]
    /// The backend's `host@backend#pool`, set once a backend holds the volume.
    public var host: String?
    /// The backend's name for the volume's data (for the file backend, the file's name).
    public var providerLocation: String?
    /// Why the volume went to `error` (or `error_deleting`, `error_extending`), for the operator and the user.
    public var errorReason: String?
    /// While `extending`: the size and status before (what a failed extend goes back to).
    public var sizeBeforeExtend: Int?
    public var statusBeforeExtend: String?
    /// While `uploading`: the image the volume's data goes to, and the status to go back to.
    public var uploadImageID: String?
    public var uploadDiskFormat: String?
    public var statusBeforeUpload: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var launchedAt: Date?

    public init(
        id: String, projectID: String, userID: String, name: String, size: Int, availabilityZone: String,
        volumeTypeID: String, createdAt: Date
    ) {
        self.id = id
        self.projectID = projectID
        self.userID = userID
        self.name = name
        self.description = ""
        self.size = size
        self.status = VolumeStatus.creating
        self.availabilityZone = availabilityZone
        self.volumeTypeID = volumeTypeID
        self.bootable = false
        self.multiattach = false
        self.imageMetadata = [:]
        self.metadata = [:]
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// Cinder's `attach_status` of the volume, from its status.
    public var attachStatus: String {
        switch status {
        case VolumeStatus.inUse: "attached"
        case VolumeStatus.attaching: "attaching"
        case VolumeStatus.detaching: "detaching"
        default: "detached"
        }
    }
}

/// One attachment of a volume to a server (Cinder's `volume_attachment`): reserved by Nova, then given the
/// compute host's connector (which makes the backend's export), then completed; deleted on detach.
public struct VolumeAttachment: Sendable, Codable, Equatable {
    public var id: String
    public var volumeID: String
    public var projectID: String
    public var instanceUUID: String?
    public var attachedHost: String?
    public var mountpoint: String?
    /// `rw` or `ro`.
    public var attachMode: String
    /// reserved, attaching, attached, detaching, error_attaching, error_detaching.
    public var attachStatus: String
    /// The compute host's connector as it sent it (serialized JSON object).
    public var connector: String?
    /// The backend's connection info for this attachment (serialized JSON object).
    public var connectionInfo: String?
    public var attachTime: Date?
    public var detachTime: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, volumeID: String, projectID: String, instanceUUID: String?, attachMode: String, at: Date) {
        self.id = id
        self.volumeID = volumeID
        self.projectID = projectID
        self.instanceUUID = instanceUUID
        self.attachMode = attachMode
        self.attachStatus = AttachmentStatus.reserved
        self.createdAt = at
        self.updatedAt = at
    }
}

/// A point-in-time copy of a volume.
public struct VolumeSnapshot: Sendable, Codable, Equatable {
    public var id: String
    public var volumeID: String
    public var projectID: String
    public var userID: String
    public var name: String
    public var description: String
    public var size: Int
    public var status: String
    public var metadata: [String: String]
    public var providerLocation: String?
    public var errorReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, volume: Volume, userID: String, name: String, description: String, at: Date) {
        self.id = id
        self.volumeID = volume.id
        self.projectID = volume.projectID
        self.userID = userID
        self.name = name
        self.description = description
        self.size = volume.size
        self.status = SnapshotStatus.creating
        self.metadata = [:]
        self.createdAt = at
        self.updatedAt = at
    }
}

/// A volume type: a name and extra specs (`volume_backend_name` picks the backend; `multiattach` is
/// `<is> True` for types whose volumes may be attached to several servers).
public struct VolumeType: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var isPublic: Bool
    public var extraSpecs: [String: String]

    public init(id: String, name: String, description: String = "", isPublic: Bool = true) {
        self.id = id
        self.name = name
        self.description = description
        self.isPublic = isPublic
        self.extraSpecs = [:]
    }

    /// The type every cloud has (Cinder's `__DEFAULT__`), used when neither the request nor the configuration
    /// names one.
    public static let defaultName = "__DEFAULT__"

    public var allowsMultiattach: Bool { extraSpecs["multiattach"]?.lowercased() == "<is> true" }
}
