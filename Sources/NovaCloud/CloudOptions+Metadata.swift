import MetadataAgent
import NovaConfig

/// Nova's metadata API: `[DEFAULT] enabled_apis` (metadata in it), `metadata_listen`, `metadata_listen_port`,
/// and `[neutron] metadata_proxy_shared_secret` (what the networking service's proxy signs requests with).
public struct MetadataOptions: Sendable {
    /// Whether the all-in-one serves it: `metadata` in `enabled_apis` and a shared secret set.
    public var enabled = false
    /// Loopback by default (Nova's is 0.0.0.0): set the address the compute hosts' metadata proxies reach.
    public var host = "127.0.0.1"
    public var port = 8775
    public var sharedSecret = ""
    /// Where the compute hosts' metadata agents send guests' requests (`[DEFAULT] nova_metadata_host` and
    /// `nova_metadata_port`, as in Neutron's metadata_agent.ini): this process's own listener by default.
    public var agentTargetHost = ""
    public var agentTargetPort = 8775
    /// `[ovn] metadata_namespace_prefix`: a second compute host on the same machine takes its own.
    public var agentNamespacePrefix = "ovnmeta-"
}

extension CloudOptions {
    mutating func readMetadata(_ config: NovaConfig) throws {
        let apis = config.list("DEFAULT", "enabled_apis", default: ["osapi_compute", "metadata"])
        metadata.enabled = apis.contains("metadata")
        metadata.host = config.string("DEFAULT", "metadata_listen", default: metadata.host)
        metadata.port = try config.int("DEFAULT", "metadata_listen_port", default: metadata.port)
        guard (0...65535).contains(metadata.port) else {
            throw ConfigError(message: "[DEFAULT] metadata_listen_port = \(metadata.port) is not a port")
        }
        metadata.sharedSecret = config.string("neutron", "metadata_proxy_shared_secret", default: "")
        // Only the networking service's metadata proxies call it, signing with the shared secret: without
        // one there is no caller, and the all-in-one does not listen.
        if metadata.sharedSecret.isEmpty { metadata.enabled = false }
        let listener = ["0.0.0.0", "::", ""].contains(metadata.host) ? "127.0.0.1" : metadata.host
        metadata.agentTargetHost = config.string("DEFAULT", "nova_metadata_host", default: listener)
        metadata.agentTargetPort = try config.int("DEFAULT", "nova_metadata_port", default: metadata.port)
        guard (1...65535).contains(metadata.agentTargetPort) else {
            throw ConfigError(message: "[DEFAULT] nova_metadata_port = \(metadata.agentTargetPort) is not a port")
        }
        metadata.agentNamespacePrefix = config.string(
            "ovn", "metadata_namespace_prefix", default: metadata.agentNamespacePrefix)
        guard !metadata.agentNamespacePrefix.isEmpty, !metadata.agentNamespacePrefix.contains("/") else {
            throw ConfigError(message: "[ovn] metadata_namespace_prefix must be a name without /")
        }
    }

    /// The metadata agent of this compute host: with the QEMU driver, OVN's southbound database, metadata
    /// on (`[ovn] ovn_metadata_enabled`) and a shared secret; nil otherwise.
    public var metadataAgent: MetadataAgentOptions? {
        guard computeDriver == .qemu, ovn.metadataEnabled, let southbound = ovn.southbound,
            !metadata.sharedSecret.isEmpty
        else { return nil }
        let host = metadata.agentTargetHost.contains(":") ? "[\(metadata.agentTargetHost)]" : metadata.agentTargetHost
        var agent = MetadataAgentOptions(
            southbound: southbound, ovsdb: qemu.ovsdbConnection, sharedSecret: metadata.sharedSecret,
            novaMetadataURL: "http://\(host):\(metadata.agentTargetPort)")
        agent.namespacePrefix = metadata.agentNamespacePrefix
        return agent
    }
}
