import HostSystem
import Foundation

/// Whether KVM works here: /dev/kvm can exist and still fail (nested hosts without the CPU features QEMU
/// needs abort at once), so QEMU is started with `-accel kvm -cpu host` for a second.
enum KVMProbe {
    static func works(qemu: String) async -> Bool {
        guard FileManager.default.isWritableFile(atPath: "/dev/kvm"), let path = try? ProcessRunner.resolve(qemu)
        else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            "-machine", "pc,accel=kvm", "-cpu", "host", "-m", "16", "-nodefaults", "-display", "none",
            "-serial", "none", "-monitor", "none",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        try? await Task.sleep(for: .seconds(1))
        let running = process.isRunning
        // SIGKILL: a child of Foundation's Process keeps the parent thread's blocked SIGTERM.
        if running { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return running
    }
}
