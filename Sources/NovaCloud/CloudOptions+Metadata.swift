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
    }
}
