import NovaCore

/// What a volume backend does with volumes' data (Cinder's volume driver interface): make, copy, grow and
/// remove it, and export it to a compute host for one attachment. The volume service calls it from its
/// worker, never inside a database transaction. The file backend is the first; a Ceph RBD backend (QEMU's
/// userspace librbd on the compute hosts) is one more conforming type.
public protocol VolumeBackend: Sendable {
    /// The backend's name (`volume_backend_name`); a volume's `host` is `<host>@<name>#<pool>`.
    var name: String { get }
    /// Space for volumes, in GiB: what the backend holds and what is free (Cinder's pool capabilities).
    func capacity() async throws -> (totalGB: Int, freeGB: Int)
    /// Makes a blank volume of `volume.size` GiB; returns its provider location.
    func createVolume(_ volume: Volume) async throws -> String
    /// Makes a volume holding the snapshot's data, grown to `volume.size`.
    func createVolume(_ volume: Volume, from snapshot: VolumeSnapshot) async throws -> String
    /// Makes a volume holding `source`'s data, grown to `volume.size`.
    func createClone(_ volume: Volume, of source: Volume) async throws -> String
    /// Removes the volume's data; a volume the backend no longer has is not an error.
    func deleteVolume(_ volume: Volume) async throws
    /// Grows the volume to `size` GiB (also while attached).
    func extendVolume(_ volume: Volume, to size: Int) async throws
    /// Copies the volume's data as it is now; returns the snapshot's provider location.
    func createSnapshot(_ snapshot: VolumeSnapshot, of volume: Volume) async throws -> String
    func deleteSnapshot(_ snapshot: VolumeSnapshot) async throws
    /// Writes an image's file (in `format`: raw, qcow2 ...) into the volume; throws when its virtual size does
    /// not fit.
    func copyImage(toVolume volume: Volume, imageFile path: String, format: String) async throws
    /// Writes the volume's data to `path` in `format` (an upload to the image service follows).
    func copyVolume(toImageFile volume: Volume, path: String, format: String) async throws
    /// Exports the volume for one attachment and says how the compute host reaches it (Cinder's
    /// `initialize_connection`): a read-only export when `readOnly`.
    func initializeConnection(
        _ volume: Volume, attachmentID: String, connector: VolumeConnector, readOnly: Bool
    ) async throws -> ConnectionInfo
    /// Ends the attachment's export (of `volume`, when it still exists); one already gone is not an error.
    func terminateConnection(_ volume: Volume?, attachmentID: String) async throws
    /// The attachment ids whose exports this backend serves now (what a restarted service compares with its
    /// records).
    func exportedAttachments() async -> Set<String>
    /// Serves again the exports this host served before it stopped (their daemons died with the host), as they
    /// were; the attachment ids it revived.
    func restoreExports() async -> [String]
}

/// What a compute host says of itself when it asks for a connection (os-brick's connector properties).
public struct VolumeConnector: Sendable, Codable, Equatable {
    public var host: String
    public var ip: String?
    public var initiator: String?
    public var multipath: Bool
    /// The device the guest gets the volume as (Nova adds it to the connector of an attachment update).
    public var mountpoint: String?
    /// The compute host's machine (`/etc/machine-id`): a backend on the same machine may hand it the volume's
    /// file instead of an export.
    public var machineID: String?

    public init(
        host: String, ip: String? = nil, initiator: String? = nil, multipath: Bool = false, mountpoint: String? = nil,
        machineID: String? = nil
    ) {
        self.mountpoint = mountpoint
        self.machineID = machineID
        self.host = host
        self.ip = ip
        self.initiator = initiator
        self.multipath = multipath
    }
}

/// Cinder's connection info: `driver_volume_type` and the `data` a compute host's connector needs
/// (for NBD: host, port, export name).
public struct ConnectionInfo: Sendable, Codable, Equatable {
    public var driverVolumeType: String
    public var data: [String: String]

    /// Nova's `local` volume type: `device_path` is the volume's file on the compute host's own machine, opened
    /// by the hypervisor as it is; nothing serves it.
    public static let local = "local"

    /// Whether the stored connection info (`driver_volume_type` in its JSON text) is a local path, which needs no
    /// export to stay reachable.
    public static func isLocal(_ storedText: String?) -> Bool {
        guard let storedText, let json = JSON.parse(Array(storedText.utf8)) else { return false }
        return json["driver_volume_type"]?.stringValue == local
    }

    public init(driverVolumeType: String, data: [String: String]) {
        self.driverVolumeType = driverVolumeType
        self.data = data
    }
}

/// An image as the volume service needs it: what a volume made from it copies into `volume_image_metadata`.
public struct VolumeImage: Sendable, Equatable {
    public var id: String
    public var name: String
    public var status: String
    public var diskFormat: String
    public var containerFormat: String
    public var size: Int
    public var minDisk: Int
    public var minRAM: Int
    public var checksum: String?
    public var properties: [String: String]

    public init(
        id: String, name: String, status: String, diskFormat: String, containerFormat: String, size: Int,
        minDisk: Int, minRAM: Int, checksum: String?, properties: [String: String]
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.diskFormat = diskFormat
        self.containerFormat = containerFormat
        self.size = size
        self.minDisk = minDisk
        self.minRAM = minRAM
        self.checksum = checksum
        self.properties = properties
    }

    /// `volume_image_metadata` of a volume made from this image, as Cinder copies it.
    public var volumeMetadata: [String: String] {
        var metadata = properties
        metadata["image_id"] = id
        metadata["image_name"] = name
        metadata["disk_format"] = diskFormat
        metadata["container_format"] = containerFormat
        metadata["size"] = String(size)
        metadata["min_disk"] = String(minDisk)
        metadata["min_ram"] = String(minRAM)
        if let checksum { metadata["checksum"] = checksum }
        return metadata
    }
}

/// The image service as the volume service uses it (Cinder's glance client), as the caller or as itself.
public protocol VolumeImageService: Sendable {
    /// The image if `project` may use it (nil: any image, an admin's view).
    func image(id: String, project: String?) async throws -> VolumeImage?
    /// Writes the image's data to `path`.
    func download(id: String, to path: String) async throws
    /// A new queued image of `owner` (os-volume-upload-image); its data follows with `upload`.
    func createImage(
        name: String, diskFormat: String, containerFormat: String, owner: String, visibility: String,
        properties: [String: String]
    ) async throws -> VolumeImage
    func upload(id: String, from path: String, diskFormat: String) async throws
}
