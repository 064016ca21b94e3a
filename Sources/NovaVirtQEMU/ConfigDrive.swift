import HostSystem
import Foundation
import NovaCore
import NovaMetadata

/// The config drive (Nova's `disk.config`): the metadata tree on an ISO 9660 file system labelled
/// `config-2`, made with Debian's genisoimage or xorriso (`[DEFAULT] mkisofs_cmd`), attached read-only.
enum ConfigDrive {
    /// Whether the guest gets one: asked for at boot (`config_drive: true`) or forced by the host.
    static func required(_ instance: Instance, forced: Bool) -> Bool {
        forced || ["true", "1", "yes", "y", "on"].contains(instance.configDrive.lowercased())
    }

    /// Writes the drive of `instance` to `path` (replacing it).
    static func build(_ instance: Instance, at path: String, tool: String?) async throws {
        let staging = path + ".files"
        let files = FileManager.default
        try? files.removeItem(atPath: staging)
        defer { try? files.removeItem(atPath: staging) }
        for (relative, bytes) in InstanceMetadata(instance: instance).configDriveFiles() {
            let target = staging + "/" + relative
            try files.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard files.createFile(atPath: target, contents: Data(bytes)) else {
                throw NovaError.internalError("The config drive's \(relative) could not be written.")
            }
        }
        try? files.removeItem(atPath: path)
        let arguments = ["-o", path, "-V", "config-2", "-J", "-r", "-quiet", staging]
        let candidates = tool.map { [$0] } ?? ["genisoimage", "xorriso"]
        guard let program = candidates.first(where: { (try? ProcessRunner.resolve($0)) != nil }) else {
            throw NovaError.internalError(
                "No ISO 9660 tool for the config drive: install genisoimage or xorriso, or set [DEFAULT] mkisofs_cmd.")
        }
        let prefix = program.hasSuffix("xorriso") ? ["-as", "mkisofs"] : []
        try await ProcessRunner.check(program, prefix + arguments)
    }
}
