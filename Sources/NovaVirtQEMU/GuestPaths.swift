import Foundation

/// Where one guest's files live: `<instances_path>/<uuid>/`.
struct GuestPaths: Sendable {
    let directory: String
    let uuid: String

    init(instancesPath: String, uuid: String) {
        directory = instancesPath + "/" + uuid
        self.uuid = uuid
    }

    var disk: String { directory + "/disk" }
    /// A guest booted from a volume has no disk here: this file names its root volume instead.
    var rootVolume: String { directory + "/root-volume" }
    /// Whether this host has the guest: its disk, or the note of its root volume.
    var exist: Bool {
        FileManager.default.fileExists(atPath: disk) || FileManager.default.fileExists(atPath: rootVolume)
    }
    /// The flavor's ephemeral and swap disks (qcow2, no backing file).
    var ephemeralDisk: String { directory + "/disk.eph0" }
    var swapDisk: String { directory + "/disk.swap" }
    /// The rescue image's overlay while the guest is rescued (its own disk is then the second drive).
    var rescueDisk: String { directory + "/disk.rescue" }
    var console: String { directory + "/console.log" }
    /// The config drive (ISO 9660, label config-2).
    var configDrive: String { directory + "/disk.config" }
    /// In the guest's folder, unless that path is longer than a Unix socket address allows (108 bytes):
    /// then a short path named after the instance, the same on every start.
    var qmpSocket: String {
        let inside = directory + "/qmp.sock"
        return inside.utf8.count < 100 ? inside : "/tmp/nova-qmp-\(uuid).sock"
    }
    /// The guest agent's socket (images with `hw_qemu_guest_agent`), short like the QMP socket.
    var agentSocket: String {
        let inside = directory + "/qga.sock"
        return inside.utf8.count < 100 ? inside : "/tmp/nova-qga-\(uuid).sock"
    }
    var pidFile: String { directory + "/qemu.pid" }
    var qemuLog: String { directory + "/qemu.log" }
    /// The saved state of a suspended guest (Nova's managed save).
    var savedState: String { directory + "/suspended.state" }
}
