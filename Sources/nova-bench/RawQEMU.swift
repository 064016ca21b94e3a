import Foundation

/// QEMU as the benches start it themselves, beside the cloud: an overlay of the guest image, and a process
/// that is killed once the measurement is done.
enum RawQEMU {
    /// A qcow2 overlay of `image` at `path` (the guest's own disk, the image left untouched).
    static func overlay(of image: String, at path: String) throws {
        let create = Process()
        create.executableURL = URL(fileURLWithPath: "/usr/bin/qemu-img")
        create.arguments = ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", image, path, "1G"]
        try create.run()
        create.waitUntilExit()
    }

    /// Runs qemu-system-x86_64 with `arguments` while `body` measures it.
    static func running<T>(_ arguments: [String], _ body: () async throws -> T) async throws -> T {
        let qemu = Process()
        qemu.executableURL = URL(fileURLWithPath: "/usr/bin/qemu-system-x86_64")
        qemu.arguments = arguments
        qemu.standardOutput = FileHandle.nullDevice
        qemu.standardError = FileHandle.nullDevice
        try qemu.run()
        defer {
            // SIGKILL: a child of Foundation's Process keeps the parent thread's blocked SIGTERM.
            kill(qemu.processIdentifier, SIGKILL)
            qemu.waitUntilExit()
        }
        return try await body()
    }
}
