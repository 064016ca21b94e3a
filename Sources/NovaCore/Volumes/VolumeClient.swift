import Foundation

/// A volume as Nova sees it (what nova/volume/cinder.py reads of one).
public struct VolumeSummary: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var status: String
    public var size: Int
    public var multiattach: Bool
    public var bootable: Bool
    public var availabilityZone: String
    public var imageMetadata: [String: String]

    public init(
        id: String, projectID: String, status: String, size: Int, multiattach: Bool, bootable: Bool,
        availabilityZone: String, imageMetadata: [String: String]
    ) {
        self.id = id
        self.projectID = projectID
        self.status = status
        self.size = size
        self.multiattach = multiattach
        self.bootable = bootable
        self.availabilityZone = availabilityZone
        self.imageMetadata = imageMetadata
    }
}

/// One of a server's block devices (Nova's block_device_mapping) that is a volume: its attachment in the
/// volume service, the guest's device name, and how the compute host reaches it.
public struct BlockDeviceMapping: Sendable, Codable, Equatable {
    public var uuid: String
    public var volumeID: String
    public var attachmentID: String?
    /// `/dev/vdb` ...
    public var deviceName: String
    /// 0 for the root disk of a server booted from a volume; nil for the other volumes.
    public var bootIndex: Int?
    public var deleteOnTermination: Bool
    public var tag: String?
    /// The volume service's connection info (JSON text), once the compute host connected.
    public var connectionInfo: String?
    public var createdAt: Date
    /// What the volume is made from when the compute host makes it at the build (block_device_mapping_v2's
    /// `source_type`: "image", "snapshot", "blank"; nil or "volume": an existing volume, `volumeID`), the
    /// image's or snapshot's id, and the size (GiB) and type asked for. `volumeID` is empty until it is made.
    public var sourceType: String?
    public var sourceID: String?
    public var volumeSize: Int?
    public var volumeType: String?

    public init(
        uuid: String, volumeID: String, attachmentID: String?, deviceName: String, bootIndex: Int? = nil,
        deleteOnTermination: Bool = false, tag: String? = nil, createdAt: Date
    ) {
        self.uuid = uuid
        self.volumeID = volumeID
        self.attachmentID = attachmentID
        self.deviceName = deviceName
        self.bootIndex = bootIndex
        self.deleteOnTermination = deleteOnTermination
        self.tag = tag
        self.createdAt = createdAt
    }

    /// Whether the compute host still has to make the volume (a mapping from an image, a snapshot or blank).
    public var isPending: Bool { volumeID.isEmpty }

    /// The next free virtio disk name after the root disk and `used` (`/dev/vdb`, `/dev/vdc`, ...).
    public static func nextDeviceName(used: [String]) -> String? {
        let letters = "bcdefghijklmnopqrstuvwxyz".map(String.init)
        return letters.map { "/dev/vd" + $0 }.first { !used.contains($0) }
    }
}

/// What Nova asks of the block-storage service (nova/volume/cinder.py, attachments API 3.44), with the
/// service's credentials: the same calls whether the volume API runs in this process or behind HTTP.
public protocol VolumeClient: Sendable {
    /// The volume if `project` may use it (nil: any, the service's view).
    func volume(id: String, project: String?) async throws -> VolumeSummary?
    /// A reserved attachment of the volume to the server; its id.
    func reserveAttachment(volumeID: String, instanceUUID: String) async throws -> String
    /// Gives the compute host's connector (os-brick's properties: host, ip ...); the connection info.
    func connectAttachment(id: String, connector: JSONObject) async throws -> JSON
    /// The guest has the volume.
    func completeAttachment(id: String) async throws
    /// The attachment ends (its export too); one already gone is not an error.
    func deleteAttachment(id: String) async throws
    /// The in-use volume is `detaching` (os-begin_detaching: before Nova swaps it out).
    func beginDetaching(volumeID: String) async throws
    /// A `detaching` volume that stays attached is `in-use` again (os-roll_detaching).
    func rollDetaching(volumeID: String) async throws
    /// Deletes a volume (delete_on_termination).
    func deleteVolume(id: String) async throws
    /// A new volume of the server's owner (the project and user of `owner`, with its token when the service is
    /// remote), as Nova makes a server's volumes of `block_device_mapping_v2`; it is `creating` until the volume
    /// service has made its data.
    func createVolume(_ request: VolumeCreation, owner: RPCContext) async throws -> VolumeSummary
    /// The snapshot if `project` may use it (nil: any).
    func snapshot(id: String, project: String?) async throws -> SnapshotSummary?
    /// The name of the volume type with this name or id that `project` may use, nil if there is none.
    func volumeTypeName(_ nameOrID: String, project: String) async throws -> String?
    /// A block-storage API call made as the user, with the user's token (Nova's os-volumes and os-snapshots
    /// proxies call Cinder so): `path` under `/v3/{the user's project}`, Cinder's policy applies; nil for an
    /// empty answer.
    func request(_ method: String, _ path: String, body: JSON?, as user: NetworkUser) async throws -> JSON?
}

/// A volume Nova asks the volume service to make (Cinder's volume create body).
public struct VolumeCreation: Sendable, Codable, Equatable {
    public var name: String
    public var size: Int
    public var imageID: String?
    public var snapshotID: String?
    public var volumeType: String?
    public var availabilityZone: String?

    public init(
        name: String, size: Int, imageID: String? = nil, snapshotID: String? = nil, volumeType: String? = nil,
        availabilityZone: String? = nil
    ) {
        self.name = name
        self.size = size
        self.imageID = imageID
        self.snapshotID = snapshotID
        self.volumeType = volumeType
        self.availabilityZone = availabilityZone
    }

    /// Cinder's `{"volume": {...}}` body.
    public var body: JSON {
        var volume: JSONObject = ["name": .string(name), "size": .int(size)]
        if let imageID { volume["imageRef"] = .string(imageID) }
        if let snapshotID { volume["snapshot_id"] = .string(snapshotID) }
        if let volumeType { volume["volume_type"] = .string(volumeType) }
        if let availabilityZone { volume["availability_zone"] = .string(availabilityZone) }
        return ["volume": .object(volume)]
    }
}

/// A volume snapshot as Nova reads one (its size, and the volume it was taken of).
public struct SnapshotSummary: Sendable, Codable, Equatable {
    public var id: String
    public var volumeID: String
    public var status: String
    public var size: Int

    public init(id: String, volumeID: String, status: String, size: Int) {
        self.id = id
        self.volumeID = volumeID
        self.status = status
        self.size = size
    }
}
