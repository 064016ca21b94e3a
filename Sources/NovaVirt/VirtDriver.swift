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
}

extension DriverCapabilities {
    /// The traits a compute node with these capabilities reports (capabilities_as_traits).
    public var traits: Set<String> {
        var traits: Set<String> = ["COMPUTE_NODE", "COMPUTE_IMAGE_TYPE_QCOW2", "COMPUTE_IMAGE_TYPE_RAW"]
        if contains(.migrateToSameHost) { traits.insert("COMPUTE_SAME_HOST_COLD_MIGRATE") }
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
}
