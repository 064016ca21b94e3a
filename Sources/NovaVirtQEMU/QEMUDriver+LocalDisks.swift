import Foundation
import HostSystem
import NovaCore

/// The flavor's local disks beside the root disk, as Nova's libvirt driver gives them: an ephemeral disk of
/// `ephemeral_gb` with a file system labelled `ephemeral0` (`[DEFAULT] default_ephemeral_format`, ext4), then a
/// swap disk of `swap` MiB made by mkswap. Each is a qcow2 file of its own in the guest's folder, without a
/// backing file: a block migration copies what the guest wrote, and nothing depends on a base file that
/// another host would make differently.
extension QEMUDriver {
    struct LocalDisk {
        var id: String
        var path: String
        var bytes: Int
        var format: (String) -> (String, [String])
    }

    /// The guest's local disks, in the order the guest sees them after its root disk.
    func localDisks(_ instance: Instance) -> [LocalDisk] {
        let paths = paths(instance.uuid)
        var disks: [LocalDisk] = []
        if instance.flavor.ephemeralGB > 0 {
            let format = config.ephemeralFormat
            disks.append(
                LocalDisk(id: "ephemeral0", path: paths.ephemeralDisk, bytes: instance.flavor.ephemeralGB << 30) {
                    (
                        "mkfs.\(format)",
                        format == "vfat" ? ["-n", "EPHEMERAL0", $0] : ["-F", "-q", "-L", "ephemeral0", $0]
                    )
                })
        }
        if instance.flavor.swapMB > 0 {
            disks.append(
                LocalDisk(id: "swap0", path: paths.swapDisk, bytes: instance.flavor.swapMB << 20) {
                    ("mkswap", ["-L", "swap0", $0])
                })
        }
        return disks
    }

    /// Makes the local disks the guest lacks: a copy of its disks at `source` (the folder of a cold move's
    /// source), else fresh ones. Existing ones stay (a rebuild that preserves the ephemeral disk).
    func createLocalDisks(_ instance: Instance, copyingFrom source: String? = nil) async throws {
        for disk in localDisks(instance) where !FileManager.default.fileExists(atPath: disk.path) {
            let name = URL(fileURLWithPath: disk.path).lastPathComponent
            if let source, FileManager.default.fileExists(atPath: source + "/" + name) {
                try await ProcessRunner.check(
                    config.qemuImg, ["convert", "-q", "-O", "qcow2", source + "/" + name, disk.path])
                // A resize to a bigger flavor grows the disk; its file system is the guest's to grow.
                if try await virtualSize(disk.path) < disk.bytes {
                    try await ProcessRunner.check(config.qemuImg, ["resize", "-q", disk.path, "\(disk.bytes)"])
                }
                continue
            }
            let raw = disk.path + ".raw"
            guard FileManager.default.createFile(atPath: raw, contents: nil) else {
                throw NovaError.internalError("cannot create \(raw)")
            }
            defer { try? FileManager.default.removeItem(atPath: raw) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: raw))
            try handle.truncate(atOffset: UInt64(disk.bytes))
            try handle.close()
            let (tool, arguments) = disk.format(raw)
            try await ProcessRunner.check(tool, arguments)
            try await ProcessRunner.check(config.qemuImg, ["convert", "-q", "-O", "qcow2", raw, disk.path])
        }
    }

    /// Empty local disks of the guest's sizes, for a live migration's destination to receive the source's.
    func createEmptyLocalDisks(_ instance: Instance) async throws {
        for disk in localDisks(instance) {
            try await ProcessRunner.check(config.qemuImg, ["create", "-q", "-f", "qcow2", disk.path, "\(disk.bytes)"])
        }
    }

    /// Nova's rebuild: the guest is made again from its (new) image. With `preserveEphemeral` its ephemeral
    /// disk is kept as it is (Nova's libvirt driver cannot; Ironic can), the rest made afresh.
    public func rebuild(_ instance: Instance, preserveEphemeral: Bool) async throws {
        let paths = paths(instance.uuid)
        let kept = paths.directory + ".ephemeral"
        try? FileManager.default.removeItem(atPath: kept)
        if preserveEphemeral, FileManager.default.fileExists(atPath: paths.ephemeralDisk) {
            await kill(instance.uuid)
            try FileManager.default.moveItem(atPath: paths.ephemeralDisk, toPath: kept)
        }
        try await destroy(instance)
        if FileManager.default.fileExists(atPath: kept) {
            try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: kept, toPath: paths.ephemeralDisk)
        }
        try await spawn(instance)
    }
}
