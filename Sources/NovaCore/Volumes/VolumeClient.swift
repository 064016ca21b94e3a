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
    /// Deletes a volume (delete_on_termination).
    func deleteVolume(id: String) async throws
}
