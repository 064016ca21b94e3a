import Foundation
import NovaCore
import NovaVirt

/// The QEMU tests run when the guest image exists (scripts/test.sh builds it) and QEMU is installed.
enum QEMUEnvironment {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static var guestImage: String {
        ProcessInfo.processInfo.environment["NOVA_GUEST_IMAGE"] ?? root + "/.build-guest/nova-guest.qcow2"
    }

    static var available: Bool {
        FileManager.default.fileExists(atPath: guestImage)
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64")
    }

    /// QEMU processes whose command line names `uuid`.
    static func processes(naming uuid: String) -> [Int32] { running(naming: uuid).map(\.pid) }

    /// The command lines of the live QEMU processes of a guest.
    static func commandLines(naming uuid: String) -> [String] { running(naming: uuid).map(\.commandLine) }

    static func running(naming uuid: String) -> [(pid: Int32, commandLine: String)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), !stat.contains(") Z")
            else { return nil }
            let cmdline = String(decoding: data, as: UTF8.self)
            return cmdline.contains("qemu-system") && cmdline.contains(uuid) ? (pid, cmdline) : nil
        }
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "nova-qemu-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Serves the guest image file as image "guest"; snapshots are kept as files beside it.
struct FileImageBackend: ImageBackend {
    let directory: String

    func imageInfo(_ id: String) async throws -> GuestImageInfo {
        GuestImageInfo(id: id, diskFormat: "qcow2", size: 0, md5: nil)
    }

    func download(_ id: String, to path: String) async throws {
        try FileManager.default.copyItem(
            atPath: id == "guest" ? QEMUEnvironment.guestImage : directory + "/" + id, toPath: path)
    }

    func upload(_ id: String, from path: String, diskFormat: String) async throws {
        try FileManager.default.copyItem(atPath: path, toPath: directory + "/" + id)
    }

    func delete(_ id: String) async throws {
        try FileManager.default.removeItem(atPath: directory + "/" + id)
    }

    func backups(instanceUUID: String, backupType: String) async throws -> [String] { [] }
}
