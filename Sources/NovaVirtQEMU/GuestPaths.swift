/// Where one guest's files live: `<instances_path>/<uuid>/`.
struct GuestPaths: Sendable {
    let directory: String

    init(instancesPath: String, uuid: String) { directory = instancesPath + "/" + uuid }

    var disk: String { directory + "/disk" }
    var console: String { directory + "/console.log" }
    var qmpSocket: String { directory + "/qmp.sock" }
    var pidFile: String { directory + "/qemu.pid" }
    var qemuLog: String { directory + "/qemu.log" }
    /// The saved state of a suspended guest (Nova's managed save).
    var savedState: String { directory + "/suspended.state" }
}
