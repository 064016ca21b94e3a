import Foundation
import HostSystem
import NovaCore
import VolumeCore

/// Volumes as sparse raw files in the volume service's folder (`<data>/volumes`), copied with `cp`'s sparse
/// copy and converted with `qemu-img`; each attachment exported over NBD by a qemu-storage-daemon of its own
/// (see `NBDExports`), or, for a compute host on this machine, handed over as the file itself (Nova's `local`
/// volume type: the guest's I/O goes straight to the file, with no socket between).
public struct FileVolumeBackend: VolumeBackend {
    public let name: String
    let directory: String
    let exports: NBDExports
    /// Whether a compute host on this machine gets the file rather than an export.
    let localAttach: Bool

    static let gib = 1 << 30

    /// - Parameters:
    ///   - directory: where the volume and snapshot files are.
    ///   - exportHost: the address compute hosts reach this host's NBD exports at.
    ///   - ports: the TCP ports the exports may listen on.
    ///   - localAttach: a compute host whose connector names this machine gets the volume's file, not an export.
    public init(
        name: String = "file", directory: String, exportHost: String, ports: ClosedRange<Int>, localAttach: Bool = true
    ) throws {
        self.name = name
        self.directory = directory
        self.localAttach = localAttach
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        exports = try NBDExports(directory: directory + "/exports", host: exportHost, ports: ports)
    }

    func path(_ location: String) -> String { directory + "/" + location }
    static func volumeFile(_ volume: Volume) -> String { "volume-" + volume.id }
    static func snapshotFile(_ snapshot: VolumeSnapshot) -> String { "snapshot-" + snapshot.id }

    func location(_ volume: Volume) -> String { volume.providerLocation ?? Self.volumeFile(volume) }

    public func capacity() async throws -> (totalGB: Int, freeGB: Int) {
        let attributes = try FileManager.default.attributesOfFileSystem(forPath: directory)
        let total = (attributes[.systemSize] as? NSNumber)?.intValue ?? 0
        let free = (attributes[.systemFreeSize] as? NSNumber)?.intValue ?? 0
        return (total / Self.gib, free / Self.gib)
    }

    public func createVolume(_ volume: Volume) async throws -> String {
        let file = Self.volumeFile(volume)
        try Self.makeSparse(path(file), bytes: volume.size.saturatingMultiply(Self.gib))
        return file
    }

    public func createVolume(_ volume: Volume, from snapshot: VolumeSnapshot) async throws -> String {
        try await copy(snapshot.providerLocation ?? Self.snapshotFile(snapshot), to: volume)
    }

    public func createClone(_ volume: Volume, of source: Volume) async throws -> String {
        try await copy(location(source), to: volume)
    }

    func copy(_ source: String, to volume: Volume) async throws -> String {
        let file = Self.volumeFile(volume)
        try await ProcessRunner.check("cp", ["--sparse=always", "--reflink=auto", path(source), path(file)])
        try Self.grow(path(file), to: volume.size.saturatingMultiply(Self.gib))
        return file
    }

    public func deleteVolume(_ volume: Volume) async throws {
        await exports.stopAll(location: location(volume))
        try Self.remove(path(location(volume)))
    }

    public func extendVolume(_ volume: Volume, to size: Int) async throws {
        try Self.grow(path(location(volume)), to: size.saturatingMultiply(Self.gib))
    }

    public func createSnapshot(_ snapshot: VolumeSnapshot, of volume: Volume) async throws -> String {
        let file = Self.snapshotFile(snapshot)
        try await ProcessRunner.check("cp", ["--sparse=always", "--reflink=auto", path(location(volume)), path(file)])
        return file
    }

    public func deleteSnapshot(_ snapshot: VolumeSnapshot) async throws {
        try Self.remove(path(snapshot.providerLocation ?? Self.snapshotFile(snapshot)))
    }

    public func copyImage(toVolume volume: Volume, imageFile: String, format: String) async throws {
        let info = try await ProcessRunner.check("qemu-img", ["info", "--output=json", "-f", format, imageFile])
        let virtualSize = JSON.parse(Array(info.utf8))?["virtual-size"]?.intValue ?? 0
        let capacity = volume.size.saturatingMultiply(Self.gib)
        guard virtualSize <= capacity else {
            let needed = virtualSize / Self.gib + (virtualSize % Self.gib == 0 ? 0 : 1)
            throw NovaError.badRequest(
                "Image virtual size is \(needed)GB and doesn't fit in a volume of size \(volume.size)GB.")
        }
        // -n: into the volume's file as it is (its size stays the volume's).
        try await ProcessRunner.check(
            "qemu-img", ["convert", "-n", "-f", format, "-O", "raw", imageFile, path(location(volume))])
    }

    public func copyVolume(toImageFile volume: Volume, path target: String, format: String) async throws {
        try await ProcessRunner.check(
            "qemu-img", ["convert", "-f", "raw", "-O", format, path(location(volume)), target])
    }

    public func initializeConnection(
        _ volume: Volume, attachmentID: String, connector: VolumeConnector, readOnly: Bool
    ) async throws -> ConnectionInfo {
        let file = path(location(volume))
        if localAttach, let machine = connector.machineID, machine == MachineIdentity.id {
            await exports.stop(attachmentID: attachmentID)
            return ConnectionInfo(
                driverVolumeType: ConnectionInfo.local,
                data: ["device_path": file, "volume_id": volume.id, "access_mode": readOnly ? "ro" : "rw"])
        }
        return try await exports.start(
            attachmentID: attachmentID, location: location(volume), file: file, readOnly: readOnly, volumeID: volume.id)
    }

    public func terminateConnection(_ volume: Volume?, attachmentID: String) async throws {
        await exports.stop(attachmentID: attachmentID)
    }

    public func exportedAttachments() async -> Set<String> {
        await exports.running()
    }

    public func restoreExports() async -> [String] {
        await exports.revive()
    }

    // MARK: Files

    static func makeSparse(_ path: String, bytes: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            throw NovaError.internalError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard ftruncate(fd, off_t(bytes)) == 0 else {
            throw NovaError.internalError("cannot size \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func grow(_ path: String, to bytes: Int) throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard ((attributes[.size] as? NSNumber)?.intValue ?? 0) < bytes else { return }
        guard truncate(path, off_t(bytes)) == 0 else {
            throw NovaError.internalError("cannot grow \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func remove(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
    }
}
