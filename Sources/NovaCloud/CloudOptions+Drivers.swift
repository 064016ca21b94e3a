import Foundation
import NovaConfig
import NovaVirtQEMU

public enum ComputeDriverKind: String, Sendable {
    case fake
    case qemu

    init?(configValue: String) {
        switch configValue {
        case "fake", "fake.FakeDriver": self = .fake
        case "qemu", "libvirt.LibvirtDriver", "libvirt": self = .qemu
        default: return nil
        }
    }
}

/// The QEMU driver's options.
public struct QEMUOptions: Sendable {
    /// `[libvirt] virt_type`: kvm, qemu (TCG) or auto (KVM when /dev/kvm works).
    public var virtType: QEMUDriverConfig.VirtType = .auto
    /// `[DEFAULT] instances_path` (default `<state_path>/instances`).
    public var instancesPath: String?
    /// `[DEFAULT] shutdown_timeout`: seconds a clean power-off may take.
    public var shutdownTimeout = 60
    /// `[qemu] guest_image`: a qcow2 the all-in-one registers as image `nova-guest` when QEMU is the driver
    /// (scripts/build-guest-image.sh makes one).
    public var guestImage: String?
    /// `[os_vif_ovs] ovsdb_connection`: the host's Open vSwitch database, where guests' taps are plugged.
    public var ovsdbConnection = "unix:/var/run/openvswitch/db.sock"
    /// `[DEFAULT] force_config_drive` and `mkisofs_cmd`.
    public var forceConfigDrive = false
    public var mkisofsCommand: String?
    /// `[DEFAULT] default_ephemeral_format`: ext4 unless set (ext2, ext3, ext4, xfs, vfat: a mkfs.<name>).
    public var ephemeralFormat = "ext4"
}

/// `[vnc]` and `[consoleauth]`.
public struct ConsoleOptions: Sendable {
    /// `[vnc] enabled`.
    public var enabled = true
    /// `[vnc] novncproxy_host` / `novncproxy_port`.
    public var noVNCHost = "127.0.0.1"
    public var noVNCPort = 6080
    /// `[vnc] novncproxy_base_url`; nil derives it from the proxy's address.
    public var noVNCBaseURL: String?
    /// `[vnc] xvpvncproxy_host` / `xvpvncproxy_port`: the raw VNC proxy for desktop clients.
    public var rawHost = "127.0.0.1"
    public var rawPort = 6081
    public var rawBaseURL: String?
    /// `[consoleauth] token_ttl`.
    public var tokenTTL = 600
    /// `[console] allowed_origins`.
    public var allowedOrigins: [String] = []
    /// Debian's novnc package files.
    public var webRoot = "/usr/share/novnc"
    /// `[vnc] server_listen`: where guests' VNC servers listen on their compute host.
    public var serverListen = "127.0.0.1"
    /// `[vnc] server_proxyclient_address`: where the console proxies reach those VNC servers.
    public var serverProxyClientAddress = "127.0.0.1"

    public var resolvedRawBaseURL: String { rawBaseURL ?? "http://\(rawHost):\(rawPort)/console" }

    /// `[serial_console] enabled`: guests' serial ports take TCP clients and nova-serialproxy relays them.
    public var serialEnabled = false
    /// `[serial_console] serialproxy_host` / `serialproxy_port`.
    public var serialHost = "127.0.0.1"
    public var serialPort = 6083
    /// `[serial_console] base_url`; nil derives it from the proxy's address.
    public var serialBaseURL: String?
    /// `[serial_console] proxyclient_address`: where guests' serial ports listen, and the proxy connects.
    public var serialProxyClientAddress = "127.0.0.1"

    /// `[spice] enabled`: guests get a SPICE server and nova-spicehtml5proxy serves spice-html5 for it.
    public var spiceEnabled = false
    /// `[spice] html5proxy_host` / `html5proxy_port`.
    public var spiceHost = "127.0.0.1"
    public var spicePort = 6082
    /// `[spice] html5proxy_base_url`; nil derives it from the proxy's address.
    public var spiceBaseURL: String?
    /// `[spice] server_listen`: where guests' SPICE servers listen on their compute host.
    public var spiceServerListen = "127.0.0.1"
    /// `[spice] server_proxyclient_address`: where the proxy reaches them.
    public var spiceProxyClientAddress = "127.0.0.1"
    /// `[spice] spice_direct_proxy_base_url` (2.99's spice-direct consoles).
    public var spiceDirectBaseURL = "http://127.0.0.1:13002/nova"
    /// Debian's spice-html5 package files.
    public var spiceWebRoot = "/usr/share/spice-html5"
}

extension CloudOptions {
    mutating func readQEMU(_ config: NovaConfig) throws {
        if let type = config["libvirt", "virt_type"] {
            guard let value = QEMUDriverConfig.VirtType(rawValue: type) else {
                throw ConfigError(message: "[libvirt] virt_type = \(type): kvm, qemu or auto")
            }
            qemu.virtType = value
        }
        qemu.instancesPath = config["DEFAULT", "instances_path"]
        qemu.shutdownTimeout = try config.int("DEFAULT", "shutdown_timeout", default: qemu.shutdownTimeout)
        qemu.guestImage = config["qemu", "guest_image"]
        qemu.ovsdbConnection = config.string("os_vif_ovs", "ovsdb_connection", default: qemu.ovsdbConnection)
        qemu.forceConfigDrive = ["true", "1", "yes", "on"].contains(
            config.string("DEFAULT", "force_config_drive", default: "false").lowercased())
        qemu.mkisofsCommand = config["DEFAULT", "mkisofs_cmd"]
        qemu.ephemeralFormat = config.string("DEFAULT", "default_ephemeral_format", default: qemu.ephemeralFormat)
        guard !qemu.ephemeralFormat.isEmpty, qemu.ephemeralFormat.allSatisfy({ $0.isLetter || $0.isNumber }) else {
            throw ConfigError(
                message:
                    "[DEFAULT] default_ephemeral_format = \(qemu.ephemeralFormat): a file system name (ext4, xfs...)")
        }
        guard qemu.ovsdbConnection.hasPrefix("unix:") || qemu.ovsdbConnection.hasPrefix("tcp:") else {
            throw ConfigError(
                message: "[os_vif_ovs] ovsdb_connection = \(qemu.ovsdbConnection): unix:PATH or tcp:HOST:PORT")
        }
        myIP = config["DEFAULT", "my_ip"]
    }

    mutating func readConsole(_ config: NovaConfig) throws {
        console.enabled = (config["vnc", "enabled"] ?? "true").lowercased() == "true"
        console.noVNCHost = config.string("vnc", "novncproxy_host", default: console.noVNCHost)
        console.noVNCPort = try config.int("vnc", "novncproxy_port", default: console.noVNCPort)
        console.noVNCBaseURL = config["vnc", "novncproxy_base_url"]
        console.rawHost = config.string("vnc", "xvpvncproxy_host", default: console.rawHost)
        console.rawPort = try config.int("vnc", "xvpvncproxy_port", default: console.rawPort)
        console.rawBaseURL = config["vnc", "xvpvncproxy_base_url"]
        console.tokenTTL = try config.int("consoleauth", "token_ttl", default: console.tokenTTL)
        console.allowedOrigins = config.list("console", "allowed_origins", default: [])
        console.webRoot = config.string("vnc", "novnc_web_root", default: console.webRoot)
        console.serverListen = config.string("vnc", "server_listen", default: console.serverListen)
        console.serverProxyClientAddress = config.string(
            "vnc", "server_proxyclient_address", default: console.serverProxyClientAddress)
        console.serialEnabled = try config.bool("serial_console", "enabled", default: false)
        console.serialHost = config.string("serial_console", "serialproxy_host", default: console.serialHost)
        console.serialPort = try config.int("serial_console", "serialproxy_port", default: console.serialPort)
        console.serialBaseURL = config["serial_console", "base_url"]
        console.serialProxyClientAddress = config.string(
            "serial_console", "proxyclient_address", default: console.serialProxyClientAddress)
        console.spiceEnabled = try config.bool("spice", "enabled", default: false)
        console.spiceHost = config.string("spice", "html5proxy_host", default: console.spiceHost)
        console.spicePort = try config.int("spice", "html5proxy_port", default: console.spicePort)
        console.spiceBaseURL = config["spice", "html5proxy_base_url"]
        console.spiceServerListen = config.string("spice", "server_listen", default: console.spiceServerListen)
        console.spiceProxyClientAddress = config.string(
            "spice", "server_proxyclient_address", default: console.spiceProxyClientAddress)
        console.spiceWebRoot = config.string("spice", "html5_web_root", default: console.spiceWebRoot)
        console.spiceDirectBaseURL = config.string(
            "spice", "spice_direct_proxy_base_url", default: console.spiceDirectBaseURL)
    }

    var instancesPath: String { qemu.instancesPath ?? dataDirectory + "/instances" }
}
