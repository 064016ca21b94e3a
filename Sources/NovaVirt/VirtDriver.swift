import NovaCore

/// What a hypervisor driver reports about its host (Nova's get_available_resource).
public struct HostResources: Sendable, Equatable {
    public var hypervisorHostname: String
    public var hypervisorType: String
    public var hypervisorVersion: Int
    public var hostIP: String
    public var total: Resources

    public init(
        hypervisorHostname: String, hypervisorType: String, hypervisorVersion: Int, hostIP: String, total: Resources
    ) {
        self.hypervisorHostname = hypervisorHostname
        self.hypervisorType = hypervisorType
        self.hypervisorVersion = hypervisorVersion
        self.hostIP = hostIP
        self.total = total
    }
}

/// Optional features a driver has, reported as COMPUTE_* traits.
public struct DriverCapabilities: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let pause = DriverCapabilities(rawValue: 1 << 0)
    public static let suspend = DriverCapabilities(rawValue: 1 << 1)
    public static let evacuate = DriverCapabilities(rawValue: 1 << 2)
    public static let migrateToSameHost = DriverCapabilities(rawValue: 1 << 3)
    public static let snapshot = DriverCapabilities(rawValue: 1 << 4)
    public static let vncConsole = DriverCapabilities(rawValue: 1 << 5)
    /// Guests are x86-64 machines with VGA graphics and virtio disks and NICs (QEMU).
    public static let virtualHardware = DriverCapabilities(rawValue: 1 << 6)

}

extension DriverCapabilities {
    /// The traits a compute node with these capabilities reports (capabilities_as_traits).
    public var traits: Set<String> {
        var traits: Set<String> = ["COMPUTE_NODE", "COMPUTE_IMAGE_TYPE_QCOW2", "COMPUTE_IMAGE_TYPE_RAW"]
        if contains(.migrateToSameHost) { traits.insert("COMPUTE_SAME_HOST_COLD_MIGRATE") }
        if contains(.virtualHardware) {
            traits.formUnion([
                "COMPUTE_ARCH_X86_64", "COMPUTE_GRAPHICS_MODEL_VGA", "COMPUTE_STORAGE_BUS_VIRTIO",
                "COMPUTE_NET_VIF_MODEL_VIRTIO",
            ])
        }
        return traits
    }
}

/// A hypervisor driver (nova/virt/driver.py ComputeDriver, the part every driver must have).
public protocol VirtDriver: Sendable {
    var capabilities: DriverCapabilities { get }
    /// Called once when the compute service starts.
    func initHost(host: String) async throws
    func availableResource() async -> HostResources
    /// Creates and starts the guest.
    func spawn(_ instance: Instance) async throws
    /// Stops the guest and removes it and its disks.
    func destroy(_ instance: Instance) async throws
    func reboot(_ instance: Instance, hard: Bool) async throws
    func powerOff(_ instance: Instance) async throws
    func powerOn(_ instance: Instance) async throws
    func pause(_ instance: Instance) async throws
    func unpause(_ instance: Instance) async throws
    func suspend(_ instance: Instance) async throws
    func resume(_ instance: Instance) async throws
    /// The guest's power state, or nil when the hypervisor does not know it (Nova's get_info).
    func powerState(of instance: Instance) async -> PowerState?
    /// Brings a guest the database says exists back after the host restarted (resume_state_on_host_boot).
    func resumeStateOnHostBoot(_ instance: Instance) async throws
    func listInstanceUUIDs() async -> [String]
    /// The guest's serial console output so far (the tail of it, at most `ConsoleLimits.maxOutputBytes`).
    func consoleOutput(_ instance: Instance) async throws -> [UInt8]
    /// What the hypervisor says of the guest: state, CPU time, NIC and disk counters (get_instance_diagnostics).
    func diagnostics(_ instance: Instance) async throws -> GuestDiagnostics
    /// Sends the guest a non-maskable interrupt, which a guest set up for it answers with a crash dump
    /// (trigger_crash_dump).
    func injectNMI(_ instance: Instance) async throws
    /// Fetches the image into this host's image cache, so that boots from it need not download it.
    func cacheImage(_ imageID: String) async throws
    /// Sets the password of the guest's administrator account (changePassword), through an agent in the guest.
    func setAdminPassword(_ instance: Instance, password: String) async throws
    /// Makes the guest again from its image (rebuild); with `preserveEphemeral` its ephemeral disk stays as it is.
    func rebuild(_ instance: Instance, preserveEphemeral: Bool) async throws
    /// Where the guest's serial port takes a TCP client (the serial console).
    func serialConsole(_ instance: Instance) async throws -> ConsoleEndpoint
    /// Where the guest's VNC server listens (get_vnc_console).
    func vncConsole(_ instance: Instance) async throws -> ConsoleEndpoint
    /// Where the guest's SPICE server listens (get_spice_console); 400 "Unavailable" when it has none.
    func spiceConsole(_ instance: Instance) async throws -> ConsoleEndpoint
    /// Uploads a consistent copy of the guest's root disk to the image service as image `imageID`, which the
    /// API has already created (queued).
    func snapshot(_ instance: Instance, imageID: String) async throws
    /// Boots the guest from a rescue image with its own disk attached second; `unrescue` boots it normally again.
    func rescue(_ instance: Instance) async throws
    func unrescue(_ instance: Instance) async throws
    /// Hot-plugs a NIC into the running guest (attach_interface); `detachInterface` unplugs one, waiting
    /// for the guest to let it go.
    func attachInterface(_ instance: Instance, vif: GuestVIF) async throws
    func detachInterface(_ instance: Instance, vif: GuestVIF) async throws
    /// This host's connector for the block-storage service (os-brick's connector properties: host, ip ...).
    func volumeConnector() async -> JSONObject
    /// Gives the guest a volume as `device.deviceName`, its serial the volume id, reached as `connection`
    /// (the volume service's connection info) says: hot-plugged when the guest runs, else at its next start.
    func attachVolume(_ instance: Instance, device: BlockDeviceMapping, connection: JSON) async throws
    /// Takes the volume from the guest, waiting for it to let the disk go.
    func detachVolume(_ instance: Instance, device: BlockDeviceMapping) async throws
    /// Moves the running guest's disk from `old`'s volume onto `new`'s (reached as `connection`): the data is
    /// copied while the guest runs, then the disk reads and writes the new volume, under the same device.
    func swapVolume(_ instance: Instance, old: BlockDeviceMapping, new: BlockDeviceMapping, connection: JSON)
        async throws
    /// Tells the guest its volume grew to `bytes` (Nova's extend_volume after Cinder's `volume-extended`): the disk
    /// it sees gets the new size while it runs.
    func extendVolume(_ instance: Instance, device: BlockDeviceMapping, bytes: Int) async throws
    /// Which of `instance.blockDevices` the running guest has now, as the hypervisor reports its devices.
    func volumeIDs(of instance: Instance) async -> [String]
    /// The uuids of guests whose power state the hypervisor changed by itself (a guest that powered off, a
    /// QEMU that exited); the compute service syncs them at once (Nova's lifecycle events).
    var lifecycleEvents: AsyncStream<String> { get }
}

extension VirtDriver {
    public func rescue(_ instance: Instance) async throws {
        throw NovaError.badRequest("This hypervisor driver cannot rescue instances.")
    }

    public func unrescue(_ instance: Instance) async throws {
        throw NovaError.badRequest("This hypervisor driver cannot rescue instances.")
    }

    /// A driver without NICs to plug (the fake driver: the port's binding is all there is).
    public func attachInterface(_ instance: Instance, vif: GuestVIF) async throws {}
    public func detachInterface(_ instance: Instance, vif: GuestVIF) async throws {}
}

public enum ConsoleLimits {
    /// Nova's MAX_CONSOLE_BYTES: console output returns at most the last 100 KiB.
    public static let maxOutputBytes = 100 * 1024

    /// The last `lines` lines of `output` (os-getConsoleOutput's `length`); nil or negative means all.
    public static func tail(_ output: [UInt8], lines: Int?) -> String {
        guard let lines, lines >= 0 else { return String(decoding: output, as: UTF8.self) }
        // Bytes, not Characters: "\r\n" (a serial console's line end) is one Character in Swift.
        var all = output.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if all.last?.isEmpty == true { all.removeLast() }
        return all.suffix(lines).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }
}

/// Where drivers get image data and put snapshots (Glance, for the compute host).
public protocol ImageBackend: Sendable {
    /// The image's disk format and md5 checksum, as the image service records them.
    func imageInfo(_ id: String) async throws -> GuestImageInfo
    /// Writes the image's data to `path`.
    func download(_ id: String, to path: String) async throws
    /// Stores the file at `path` as the data of the queued image `id`, which then becomes active.
    func upload(_ id: String, from path: String, diskFormat: String) async throws
    /// Deletes an image and its data (a shelved server's snapshot once it is back, a rotated-out backup).
    func delete(_ id: String) async throws
    /// The ids of an instance's backups of one `backup_type` (createBackup), oldest first.
    func backups(instanceUUID: String, backupType: String) async throws -> [String]
}

public struct GuestImageInfo: Sendable, Equatable {
    public var id: String
    public var diskFormat: String
    public var size: Int
    public var md5: String?

    public init(id: String, diskFormat: String, size: Int, md5: String?) {
        self.id = id
        self.diskFormat = diskFormat
        self.size = size
        self.md5 = md5
    }
}
