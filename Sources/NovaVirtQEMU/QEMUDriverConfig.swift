import NovaCore

/// The options of the QEMU driver (Nova's `[libvirt]` and `[DEFAULT]` names where Nova has them).
public struct QEMUDriverConfig: Sendable {
    /// `[libvirt] virt_type`: KVM or plain emulation (TCG).
    public enum VirtType: String, Sendable {
        /// KVM when /dev/kvm works (a one-second probe at start), TCG otherwise.
        case auto
        case kvm
        /// TCG: software emulation, works everywhere.
        case qemu
    }

    /// `[DEFAULT] instances_path`: one folder per guest, and `_base` for cached images.
    public var instancesPath: String
    public var hypervisorHostname: String
    /// `[DEFAULT] my_ip`.
    public var hostIP: String
    public var virtType: VirtType
    public var qemuBinary: String
    public var qemuImg: String
    /// `[vnc] server_listen`: where guests' VNC servers listen.
    public var vncListen: String
    /// `[vnc] server_proxyclient_address`: where the console proxies reach them (server_listen may be 0.0.0.0).
    public var vncProxyClientAddress: String
    /// `[serial_console] proxyclient_address`: where each guest's serial port listens (TCP, a port the kernel
    /// picks) and the serial proxy connects.
    public var serialProxyClientAddress = "127.0.0.1"
    /// `[spice] enabled` with `server_listen` and `server_proxyclient_address`: each guest gets a SPICE server.
    public struct SPICE: Sendable {
        public var listen: String
        public var proxyClientAddress: String
        public init(listen: String = "127.0.0.1", proxyClientAddress: String = "127.0.0.1") {
            self.listen = listen
            self.proxyClientAddress = proxyClientAddress
        }
    }
    public var spice: SPICE?
    /// `[DEFAULT] default_ephemeral_format`: the file system of ephemeral disks (a `mkfs.<format>` runs).
    public var ephemeralFormat = "ext4"
    /// `[DEFAULT] shutdown_timeout`: how long a clean (ACPI) power-off may take before it is forced.
    public var shutdownTimeout: Duration
    /// What the host offers; nil measures the machine (processors, memory, the instances file system).
    public var total: Resources?
    /// `[os_vif_ovs] ovsdb_connection`: the host's Open vSwitch database, where guests' taps are plugged
    /// into the bridge their port is bound to (`binding:vif_type` ovs).
    public var ovsdbConnection = "unix:/var/run/openvswitch/db.sock"
    /// `[DEFAULT] force_config_drive`: every guest gets a config drive.
    public var forceConfigDrive = false
    /// `[DEFAULT] mkisofs_cmd`: the program that makes config drives (nil: genisoimage, else xorriso).
    public var mkisofsCommand: String?

    public init(
        instancesPath: String, hypervisorHostname: String, hostIP: String = "127.0.0.1", virtType: VirtType = .auto,
        qemuBinary: String = "qemu-system-x86_64", qemuImg: String = "qemu-img", vncListen: String = "127.0.0.1",
        vncProxyClientAddress: String = "127.0.0.1", shutdownTimeout: Duration = .seconds(60), total: Resources? = nil
    ) {
        self.instancesPath = instancesPath
        self.hypervisorHostname = hypervisorHostname
        self.hostIP = hostIP
        self.virtType = virtType
        self.qemuBinary = qemuBinary
        self.qemuImg = qemuImg
        self.vncListen = vncListen
        self.vncProxyClientAddress = vncProxyClientAddress
        self.shutdownTimeout = shutdownTimeout
        self.total = total
    }
}
