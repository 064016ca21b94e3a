import Foundation
import NovaCore

/// A driver that keeps guests in memory (nova/virt/fake.py): for tests, development and simulating many hosts.
public actor FakeDriver: VirtDriver {
    var guests: [String: PowerState] = [:]
    /// When each guest was started here (its diagnostics' uptime).
    var started: [String: Date] = [:]
    /// The volumes each guest has (instance uuid -> volume id -> device name), as a hypervisor would.
    var volumes: [String: [String: String]] = [:]
    /// The size in bytes each volume's disk was grown to (volume id -> bytes).
    var volumeSizes: [String: Int] = [:]
    private let resources: HostResources
    /// Names of operations that fail, for testing error paths (e.g. "spawn").
    private var failing: Set<String> = []
    /// Guests stopped on this host by a cold move, kept until it is confirmed or reverted.
    var movedAway: [String: PowerState] = [:]
    /// Live migrations under way from this host: uuid -> aborted, or forced to complete.
    var outgoing: [String: LiveMigrationControl] = [:]
    /// How long a live migration takes: `liveMigrationSteps` rounds of `liveMigrationStepDelay`.
    var liveMigrationSteps = 5
    var liveMigrationStepDelay: Duration = .milliseconds(20)

    public nonisolated var capabilities: DriverCapabilities {
        [.pause, .suspend, .evacuate, .migrateToSameHost, .snapshot, .vncConsole]
    }
    /// Where snapshots go; without one, a snapshot fails as Nova's would without Glance.
    private let images: (any ImageBackend)?
    public nonisolated let lifecycleEvents: AsyncStream<String>
    private let lifecycleSink: AsyncStream<String>.Continuation

    /// A fake host with the given size (Nova's fake driver defaults to 1000 vCPU / 800000 MB / 600000 GB).
    public init(
        hostname: String, hostIP: String = "127.0.0.1",
        total: Resources = Resources(vcpus: 1000, memoryMB: 800_000, diskGB: 600_000),
        images: (any ImageBackend)? = nil
    ) {
        self.images = images
        (lifecycleEvents, lifecycleSink) = AsyncStream.makeStream(of: String.self)
        resources = HostResources(
            hypervisorHostname: hostname, hypervisorType: "fake", hypervisorVersion: 1000, hostIP: hostIP,
            total: total)
    }

    public func failNext(_ operation: String) { failing.insert(operation) }

    /// Operations that never finish (a host that stopped answering mid-step), for testing deadlines.
    var hanging: Set<String> = []
    public func hang(_ operation: String) { hanging.insert(operation) }
    public func release(_ operation: String) { hanging.remove(operation) }

    /// Slows live migrations down, so a test can abort or force one while it runs.
    public func setLiveMigrationPace(steps: Int, delay: Duration) {
        liveMigrationSteps = steps
        liveMigrationStepDelay = delay
    }

    public func initHost(host: String) async throws {}

    public func availableResource() async -> HostResources { resources }

    func checkFailure(_ operation: String, _ instance: Instance) async throws {
        try await checkFailure(operation, of: instance.uuid)
    }

    func checkFailure(_ operation: String, of subject: String) async throws {
        while hanging.contains(operation) { try await Task.sleep(for: .milliseconds(50)) }
        if failing.remove(operation) != nil {
            throw NovaError.internalError("Fake driver was told to fail \(operation) of \(subject)")
        }
    }

    func requireGuest(_ instance: Instance) throws {
        guard guests[instance.uuid] != nil else {
            throw NovaError.notFound("Instance \(instance.uuid) could not be found on the hypervisor.")
        }
    }

    public func spawn(_ instance: Instance) async throws {
        try await checkFailure("spawn", instance)
        try takeVolumes(instance)
        guests[instance.uuid] = .running
        started[instance.uuid] = Date()
    }

    /// Each guest's rebuilds, with whether its ephemeral disk was to be kept, for tests to read.
    public private(set) var rebuilds: [String: [Bool]] = [:]

    public func rebuild(_ instance: Instance, preserveEphemeral: Bool) async throws {
        if guests[instance.uuid] != nil { try await destroy(instance) }
        try await spawn(instance)
        rebuilds[instance.uuid, default: []].append(preserveEphemeral)
    }

    /// A guest starts (or arrives) with its volumes, connected by the compute host to this host, as libvirt's
    /// domain has them.
    func takeVolumes(_ instance: Instance) throws {
        for device in instance.blockDevices ?? [] {
            guard device.connectionInfo != nil else {
                throw NovaError.internalError("volume \(device.volumeID) of \(instance.uuid) is not connected")
            }
        }
        volumes[instance.uuid] = Dictionary(
            (instance.blockDevices ?? []).map { ($0.volumeID, $0.deviceName) }, uniquingKeysWith: { first, _ in first })
    }

    public func destroy(_ instance: Instance) async throws {
        try await checkFailure("destroy", instance)
        guests[instance.uuid] = nil
        movedAway[instance.uuid] = nil
        volumes[instance.uuid] = nil
    }

    public func volumeConnector() async -> JSONObject {
        ["host": .string(resources.hypervisorHostname), "ip": .string(resources.hostIP), "multipath": false]
    }

    public func attachVolume(_ instance: Instance, device: BlockDeviceMapping, connection: JSON) async throws {
        try await checkFailure("attach_volume", instance)
        try requireGuest(instance)
        guard connection["driver_volume_type"]?.stringValue != nil else {
            throw NovaError.internalError("no connection info for volume \(device.volumeID)")
        }
        volumes[instance.uuid, default: [:]][device.volumeID] = device.deviceName
    }

    public func detachVolume(_ instance: Instance, device: BlockDeviceMapping) async throws {
        try await checkFailure("detach_volume", instance)
        volumes[instance.uuid]?[device.volumeID] = nil
    }

    public func swapVolume(_ instance: Instance, old: BlockDeviceMapping, new: BlockDeviceMapping, connection: JSON)
        async throws
    {
        try await checkFailure("swap_volume", instance)
        guard guests[instance.uuid] == .running || guests[instance.uuid] == .paused,
            volumes[instance.uuid]?[old.volumeID] != nil
        else { throw NovaError.internalError("volume \(old.volumeID) is not on running guest \(instance.uuid)") }
        volumes[instance.uuid]?[old.volumeID] = nil
        volumes[instance.uuid, default: [:]][new.volumeID] = old.deviceName
    }

    public func extendVolume(_ instance: Instance, device: BlockDeviceMapping, bytes: Int) async throws {
        try await checkFailure("extend_volume", instance)
        guard volumes[instance.uuid]?[device.volumeID] != nil else {
            throw NovaError.internalError("volume \(device.volumeID) is not on guest \(instance.uuid)")
        }
        volumeSizes[device.volumeID] = bytes
    }

    /// The size in bytes the guest's disk of the volume was grown to (nil: never grown).
    public func volumeSize(_ volumeID: String) -> Int? { volumeSizes[volumeID] }

    /// The volumes a guest has (volume id -> device name).
    public func attachedVolumes(_ uuid: String) -> [String: String] { volumes[uuid] ?? [:] }

    public func volumeIDs(of instance: Instance) async -> [String] {
        guard guests[instance.uuid] == .running || guests[instance.uuid] == .paused else { return [] }
        return (instance.blockDevices ?? []).map(\.volumeID).filter { volumes[instance.uuid]?[$0] != nil }
    }

    /// Whether this host keeps the stopped source guest of a move not yet confirmed or reverted.
    public func keepsMovedGuest(_ uuid: String) -> Bool { movedAway[uuid] != nil }

    public func reboot(_ instance: Instance, hard: Bool) async throws {
        try await checkFailure("reboot", instance)
        if !hard { try requireGuest(instance) }
        guests[instance.uuid] = .running
    }

    public func powerOff(_ instance: Instance) async throws {
        try await checkFailure("power_off", instance)
        try set(instance, .shutdown)
    }

    public func powerOn(_ instance: Instance) async throws {
        try await checkFailure("power_on", instance)
        try set(instance, .running)
    }

    /// Moves an existing guest to `state`.
    private func set(_ instance: Instance, _ state: PowerState) throws {
        try requireGuest(instance)
        guests[instance.uuid] = state
    }

    public func rescue(_ instance: Instance) async throws { try set(instance, .running) }
    public func unrescue(_ instance: Instance) async throws { try set(instance, .running) }
    public func pause(_ instance: Instance) async throws { try set(instance, .paused) }
    public func unpause(_ instance: Instance) async throws { try set(instance, .running) }
    public func suspend(_ instance: Instance) async throws { try set(instance, .suspended) }
    public func resume(_ instance: Instance) async throws { try set(instance, .running) }

    public func powerState(of instance: Instance) async -> PowerState? { guests[instance.uuid] }

    public func resumeStateOnHostBoot(_ instance: Instance) async throws {
        guests[instance.uuid] = instance.powerState == .noState ? .shutdown : instance.powerState
    }

    public func listInstanceUUIDs() async -> [String] { Array(guests.keys) }

    /// A guest powering itself off, as a real hypervisor would report it.
    public func guestPoweredOff(_ uuid: String) {
        guard guests[uuid] != nil else { return }
        guests[uuid] = .shutdown
        lifecycleSink.yield(uuid)
    }

    /// A fake guest's counters: its devices as the hypervisor would list them, none of them ever used.
    /// The NMIs each guest was sent (trigger_crash_dump), for tests to read.
    public private(set) var interrupts: [String: Int] = [:]

    public func injectNMI(_ instance: Instance) async throws {
        try await checkFailure("inject_nmi", instance)
        try requireGuest(instance)
        guard guests[instance.uuid] == .running else {
            throw NovaError.conflict("Instance \(instance.uuid) is not running: no NMI can be sent")
        }
        interrupts[instance.uuid, default: 0] += 1
    }

    public func diagnostics(_ instance: Instance) async throws -> GuestDiagnostics {
        try requireGuest(instance)
        // checked: seconds since this driver started the guest
        let uptime = started[instance.uuid].map { Int(Date().timeIntervalSince($0)) }
        var diagnostics = GuestDiagnostics(
            state: GuestDiagnostics.stateName(guests[instance.uuid] ?? .noState), hypervisor: "fake",
            hypervisorOS: nil, uptime: uptime, configDrive: instance.configDrive == "True")
        diagnostics.cpus = (0..<instance.flavor.vcpus).map { GuestDiagnostics.CPU(id: $0, time: 0) }
        diagnostics.nics = (instance.vifs ?? []).map { vif in
            var nic = GuestDiagnostics.NIC(macAddress: vif.mac)
            (nic.rxOctets, nic.rxErrors, nic.rxDrop, nic.rxPackets) = (0, 0, 0, 0)
            (nic.txOctets, nic.txErrors, nic.txDrop, nic.txPackets) = (0, 0, 0, 0)
            return nic
        }
        let devices = (instance.isVolumeBacked ? [] : ["vda"]) + (volumes[instance.uuid] ?? [:]).values.sorted()
        diagnostics.disks = devices.map { name in
            var disk = GuestDiagnostics.Disk(name: name.replacingOccurrences(of: "/dev/", with: ""))
            (disk.readBytes, disk.readRequests, disk.writeBytes, disk.writeRequests, disk.errorsCount) = (0, 0, 0, 0, 0)
            return disk
        }
        diagnostics.memoryMaximum = instance.flavor.memoryMB
        return diagnostics
    }

    /// Nova's fake driver prints the same three lines.
    public func consoleOutput(_ instance: Instance) async throws -> [UInt8] {
        try requireGuest(instance)
        return Array("FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE\n".utf8)
    }

    public func vncConsole(_ instance: Instance) async throws -> ConsoleEndpoint {
        try requireGuest(instance)
        return ConsoleEndpoint(host: "127.0.0.1", port: 6969)
    }

    /// As Nova's fake driver: the VNC console's port, with nothing behind it.
    public func spiceConsole(_ instance: Instance) async throws -> ConsoleEndpoint {
        try requireGuest(instance)
        return ConsoleEndpoint(host: "127.0.0.1", port: 6969)
    }

    /// The images asked into this host's cache (os-aggregates images), for tests to read.
    public private(set) var cachedImages: Set<String> = []

    public func cacheImage(_ imageID: String) async throws {
        try await checkFailure("cache_image", of: imageID)
        cachedImages.insert(imageID)
    }

    /// The passwords set on each guest (changePassword), for tests to read.
    public private(set) var adminPasswords: [String: String] = [:]

    public func setAdminPassword(_ instance: Instance, password: String) async throws {
        try await checkFailure("set_admin_password", instance)
        try requireGuest(instance)
        adminPasswords[instance.uuid] = password
    }

    /// As Nova's fake driver: a port nothing listens on.
    public func serialConsole(_ instance: Instance) async throws -> ConsoleEndpoint {
        try requireGuest(instance)
        return ConsoleEndpoint(host: "127.0.0.1", port: 6999)
    }

    /// Uploads a small stand-in disk naming the instance, so the snapshot is a real, bootable-by-fake image.
    public func snapshot(_ instance: Instance, imageID: String) async throws {
        try await checkFailure("snapshot", instance)
        try requireGuest(instance)
        guard let images else { throw NovaError.internalError("The fake driver has no image service") }
        let path = NSTemporaryDirectory() + "fake-snapshot-\(imageID)"
        try Data("fake disk of \(instance.uuid)\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await images.upload(imageID, from: path, diskFormat: "raw")
    }
}
