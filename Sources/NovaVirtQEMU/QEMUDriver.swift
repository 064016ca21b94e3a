import HostSystem
import Foundation
import Logging
import NovaCore
import NovaVirt
import QMP

/// Runs each instance as a `qemu-system-x86_64` process driven over QMP (the way Incus drives QEMU): a qcow2
/// overlay on the cached image, the serial console in a log, VNC on a port QEMU picks. Processes are
/// daemonized, so they outlive a compute restart; `initHost` finds them again by their pid files.
public actor QEMUDriver: VirtDriver {
    let config: QEMUDriverConfig
    let images: any ImageBackend
    let logger: Logger
    /// The QMP connection of each running guest.
    var connections: [String: QMPClient] = [:]
    /// Guests this driver is stopping or restarting itself: their exits are not lifecycle events.
    var expectedExits: Set<String> = []
    /// Waiters for QEMU's DEVICE_DELETED of a device id (a NIC's unplug is done when the guest let it go).
    var deletedDevices: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Devices QEMU reported deleted before anyone waited for them.
    var releasedDevices: Set<String> = []
    /// Image downloads in flight, so concurrent spawns of one image fetch it once.
    var downloads: [String: Task<String, any Error>] = [:]
    var kvm = false
    var detached = false
    var hypervisorVersion = 0
    public nonisolated let lifecycleEvents: AsyncStream<String>
    let lifecycleSink: AsyncStream<String>.Continuation

    public nonisolated var capabilities: DriverCapabilities {
        [.pause, .suspend, .evacuate, .snapshot, .vncConsole, .virtualHardware]
    }

    public init(config: QEMUDriverConfig, images: any ImageBackend, logger: Logger) {
        self.config = config
        self.images = images
        self.logger = logger
        (lifecycleEvents, lifecycleSink) = AsyncStream.makeStream(of: String.self)
    }

    func paths(_ uuid: String) -> GuestPaths { GuestPaths(instancesPath: config.instancesPath, uuid: uuid) }

    // MARK: - Host

    /// Chooses the accelerator, reads QEMU's version and reconnects to the guests still running.
    public func initHost(host: String) async throws {
        try FileManager.default.createDirectory(
            atPath: config.instancesPath + "/_base", withIntermediateDirectories: true)
        let version = try await ProcessRunner.check(config.qemuBinary, ["--version"])
        hypervisorVersion = Self.parseVersion(version)
        switch config.virtType {
        case .kvm: kvm = true
        case .qemu: kvm = false
        case .auto: kvm = await KVMProbe.works(qemu: config.qemuBinary)
        }
        logger.info("QEMU \(hypervisorVersion), accelerator \(kvm ? "kvm" : "tcg")")
        for uuid in await listInstanceUUIDs() {
            guard let pid = runningPID(uuid) else { continue }
            do {
                try await connect(uuid)
                logger.info("found running guest \(uuid) (pid \(pid))")
            } catch {
                logger.warning("guest \(uuid) runs (pid \(pid)) but its QMP socket does not answer: \(error)")
            }
        }
    }

    /// QEMU's "QEMU emulator version 7.2.22 (...)" as Nova's integer 7002022.
    static func parseVersion(_ text: String) -> Int {
        guard let range = text.range(of: #"version (\d+)\.(\d+)\.?(\d*)"#, options: .regularExpression) else {
            return 0
        }
        let parts = text[range].dropFirst("version ".count).split(separator: ".").map { Int($0) ?? 0 }
        return parts[0] * 1_000_000 + (parts.count > 1 ? parts[1] : 0) * 1000 + (parts.count > 2 ? parts[2] : 0)
    }

    public func availableResource() async -> HostResources {
        HostResources(
            hypervisorHostname: config.hypervisorHostname, hypervisorType: "QEMU",
            hypervisorVersion: hypervisorVersion, hostIP: config.hostIP, total: config.total ?? Self.measureHost(config)
        )
    }

    static func measureHost(_ config: QEMUDriverConfig) -> Resources {
        let attributes = try? FileManager.default.attributesOfFileSystem(forPath: config.instancesPath)
        let diskBytes = (attributes?[.systemSize] as? NSNumber)?.int64Value ?? 0
        return Resources(
            vcpus: ProcessInfo.processInfo.activeProcessorCount,
            memoryMB: Int(ProcessInfo.processInfo.physicalMemory >> 20), diskGB: Int(diskBytes >> 30))
    }

    public func listInstanceUUIDs() async -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: config.instancesPath)) ?? []
        return entries.filter { UUID(uuidString: $0) != nil && paths($0).exist }
    }

    /// Lets go of every guest without stopping it, as when the compute service stops: the guests run on and
    /// the next `initHost` finds them (QEMU takes one QMP client at a time).
    public func detach() async {
        let clients = connections
        connections = [:]
        detached = true
        for client in clients.values { await client.close() }
    }

    // MARK: - Processes

    /// The pid of the guest's QEMU if it runs.
    func runningPID(_ uuid: String) -> Int32? {
        guard let text = try? String(contentsOfFile: paths(uuid).pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            ProcessRunner.isAlive(pid, marker: uuid)
        else { return nil }
        return pid
    }

    /// Starts the guest's QEMU (daemonized) and connects to its QMP socket.
    func launch(_ instance: Instance, incoming: Bool = false) async throws {
        let paths = paths(instance.uuid)
        try? FileManager.default.removeItem(atPath: paths.qmpSocket)
        let configDrive = ConfigDrive.required(instance, forced: config.forceConfigDrive)
        // Made at the first start, and again where it is missing (a guest moved to this host).
        if configDrive, !FileManager.default.fileExists(atPath: paths.configDrive) {
            logger.info("making the config drive of \(instance.uuid)")
            try await ConfigDrive.build(instance, at: paths.configDrive, tool: config.mkisofsCommand)
        }
        var commandLine = QEMUCommandLine(
            instance: instance, paths: paths, kvm: kvm, vncListen: config.vncListen,
            serialListen: config.serialProxyClientAddress, incoming: incoming,
            rescue: FileManager.default.fileExists(atPath: paths.rescueDisk), configDrive: configDrive)
        if let spice = config.spice {
            guard let port = FreePort.pick(host: spice.listen) else {
                throw NovaError.internalError(
                    "no free port for the SPICE server of \(instance.uuid) on \(spice.listen)")
            }
            commandLine.spice = (spice.listen, port)
        }
        // A tap's port left on its bridge (the guest was stopped) goes first: the tap QEMU makes must not be
        // opened by Open vSwitch before it is up (see `plug`).
        await unplug(instance)
        logger.info("starting QEMU for \(instance.uuid)")
        try await ProcessRunner.check(config.qemuBinary, commandLine.arguments, logPath: paths.qemuLog)
        do {
            let switchPorts = OVSPorts(connection: config.ovsdbConnection)
            for vif in QEMUCommandLine.pluggable(instance) {
                logger.info("plugging \(vif.devname) of \(instance.uuid) into \(vif.bridge ?? "br-int")")
                try await plug(vif, of: instance, into: switchPorts)
            }
        } catch {
            await kill(instance.uuid)
            await unplug(instance)
            throw error
        }
        try await connect(instance.uuid)
    }

    /// Takes the guest's taps out of their bridges (after its QEMU ended).
    func unplug(_ instance: Instance) async {
        let switchPorts = OVSPorts(connection: config.ovsdbConnection)
        for vif in QEMUCommandLine.pluggable(instance) {
            do {
                try await switchPorts.unplug(vif)
            } catch {
                logger.warning("\(vif.devname) of \(instance.uuid) not unplugged: \(error)")
            }
        }
    }

    func connect(_ uuid: String) async throws {
        // libvirt waits 30 s for a new QEMU's monitor too: a loaded host greets late, and a spawn should not fail for it.
        let client = try await QMPClient.connect(socketPath: paths(uuid).qmpSocket, timeout: .seconds(30))
        connections[uuid] = client
        Task { await self.watch(uuid, client) }
    }

    /// Turns QEMU's events into lifecycle events; the stream ends when QEMU exits.
    func watch(_ uuid: String, _ client: QMPClient) async {
        for await event in client.events {
            if event.name == "DEVICE_DELETED", let device = event.data["device"]?.stringValue {
                let waiters = deletedDevices.removeValue(forKey: device) ?? []
                if waiters.isEmpty { releasedDevices.insert(device) }
                for waiter in waiters { waiter.resume() }
            }
            guard ["SHUTDOWN", "STOP", "RESUME", "RESET"].contains(event.name) else { continue }
            if !expectedExits.contains(uuid) { lifecycleSink.yield(uuid) }
        }
        if connections[uuid] === client { connections[uuid] = nil }
        if !expectedExits.contains(uuid), !detached { lifecycleSink.yield(uuid) }
    }

    func client(_ instance: Instance) throws -> QMPClient {
        guard let client = connections[instance.uuid] else {
            throw NovaError.conflict("Instance \(instance.uuid) is not running.")
        }
        return client
    }

    /// Waits for the guest's QEMU to end; false if it still runs after `timeout`.
    /// Until the guest's QEMU process has ended. `pid` is read before QEMU was told to end: QEMU removes its
    /// pid file while it quits, before its process is gone.
    func waitForExit(_ uuid: String, pid: Int32?, timeout: Duration) async -> Bool {
        func ended() -> Bool { pid.map { !ProcessRunner.isAlive($0, marker: uuid) } ?? (runningPID(uuid) == nil) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if ended() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return ended()
    }

    /// Ends QEMU at once (`quit`, then SIGKILL).
    func kill(_ uuid: String) async {
        expectedExits.insert(uuid)
        defer { expectedExits.remove(uuid) }
        let pid = runningPID(uuid)
        if let client = connections[uuid] { _ = try? await client.execute("quit", timeout: .seconds(5)) }
        if await waitForExit(uuid, pid: pid, timeout: .seconds(5)) == false, let pid {
            Foundation.kill(pid, SIGKILL)
            _ = await waitForExit(uuid, pid: pid, timeout: .seconds(5))
        }
        await connections.removeValue(forKey: uuid)?.close()
    }

    /// ACPI power button, then `quit` after the timeout (Nova's clean shutdown).
    func shutdown(_ uuid: String, timeout: Duration) async {
        guard let pid = runningPID(uuid) else { return }
        expectedExits.insert(uuid)
        defer { expectedExits.remove(uuid) }
        if let client = connections[uuid] {
            _ = try? await client.execute("system_powerdown")
            if await waitForExit(uuid, pid: pid, timeout: timeout) {
                await connections.removeValue(forKey: uuid)?.close()
                return
            }
            logger.info("guest \(uuid) did not power off within \(timeout): forcing it")
        }
        await kill(uuid)
    }
}
