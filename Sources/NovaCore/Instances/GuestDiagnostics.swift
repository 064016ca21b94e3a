/// What the hypervisor says of a guest (Nova's Diagnostics object, shown by GET /servers/{id}/diagnostics in
/// its 2.48 form): its state, CPUs, NICs and disks with their counters, and its memory. A counter the
/// hypervisor does not keep is nil.
public struct GuestDiagnostics: Sendable, Codable, Equatable {
    public struct CPU: Sendable, Codable, Equatable {
        public var id: Int
        /// CPU time used, in nanoseconds.
        public var time: Int?
        public var utilisation: Int?

        public init(id: Int, time: Int? = nil, utilisation: Int? = nil) {
            self.id = id
            self.time = time
            self.utilisation = utilisation
        }
    }

    /// A NIC's counters as the guest sees them (what it received, what it sent).
    public struct NIC: Sendable, Codable, Equatable {
        public var macAddress: String?
        public var rxOctets, rxErrors, rxDrop, rxPackets: Int?
        public var txOctets, txErrors, txDrop, txPackets: Int?

        public init(macAddress: String?) { self.macAddress = macAddress }
    }

    public struct Disk: Sendable, Codable, Equatable {
        /// The guest's device name (vda, vdb...), for the older free-form view.
        public var name: String
        public var readBytes, readRequests, writeBytes, writeRequests, errorsCount: Int?

        public init(name: String) { self.name = name }
    }

    /// pending, running, paused, shutdown, crashed or suspended.
    public var state: String
    /// The kind of hypervisor (qemu, kvm, fake).
    public var hypervisor: String?
    public var hypervisorOS: String?
    /// Seconds since the guest's process started.
    public var uptime: Int?
    public var configDrive: Bool
    public var cpus: [CPU]
    public var nics: [NIC]
    public var disks: [Disk]
    /// MiB.
    public var memoryMaximum: Int?
    public var memoryUsed: Int?

    public init(state: String, hypervisor: String?, hypervisorOS: String?, uptime: Int?, configDrive: Bool) {
        self.state = state
        self.hypervisor = hypervisor
        self.hypervisorOS = hypervisorOS
        self.uptime = uptime
        self.configDrive = configDrive
        cpus = []
        nics = []
        disks = []
    }

    /// Nova's name for a power state in diagnostics.
    public static func stateName(_ state: PowerState) -> String {
        switch state {
        case .running: "running"
        case .paused: "paused"
        case .shutdown: "shutdown"
        case .crashed: "crashed"
        case .suspended: "suspended"
        case .noState: "pending"
        }
    }
}
