import NovaConfig
import VolumeCore

/// The block-storage service's options, with Cinder's names.
public struct VolumeServiceOptions: Sendable, Equatable {
    /// `[DEFAULT] enabled_backends`: this version runs one backend, the first named.
    public var backendName = "file"
    /// `[<backend>] volume_driver`: `file` (sparse raw files exported over NBD).
    public var driver = "file"
    /// `[<backend>] volumes_dir` (default `<state_path>/volumes`).
    public var directory: String?
    /// `[<backend>] target_ip_address`: where compute hosts reach the NBD exports (default `my_ip`, else
    /// 127.0.0.1), and `target_port_range` (`low:high`) the ports they listen on.
    public var exportHost: String?
    public var exportPorts = 10810...10999
    /// `[<backend>] local_attach`: a compute host on the volume service's own machine (its connector's
    /// `machine_id`) gets the volume's file instead of an NBD export.
    public var localAttach = true
    /// The service's own options (zone, default type, quotas).
    public var service = VolumeOptions()
}

extension CloudOptions {
    /// `[DEFAULT] storage_availability_zone`, `default_volume_type`, `enabled_backends`, `quota_volumes`,
    /// `quota_snapshots`, `quota_gigabytes`, `per_volume_size_limit`, and the backend's section.
    mutating func readVolume(_ config: NovaConfig) throws {
        volume.service.availabilityZone = config.string(
            "DEFAULT", "storage_availability_zone", default: volume.service.availabilityZone)
        volume.service.defaultVolumeType = config["DEFAULT", "default_volume_type"]
        for (option, resource) in [
            ("quota_volumes", "volumes"), ("quota_snapshots", "snapshots"), ("quota_gigabytes", "gigabytes"),
            ("per_volume_size_limit", "per_volume_gigabytes"),
        ] {
            volume.service.defaultQuotas[resource] = try config.int(
                "DEFAULT", option, default: volume.service.defaultQuotas[resource] ?? -1)
        }
        let backends = config.list("DEFAULT", "enabled_backends", default: [volume.backendName])
        guard let backend = backends.first else {
            throw ConfigError(message: "[DEFAULT] enabled_backends names no backend")
        }
        volume.backendName = config.string(backend, "volume_backend_name", default: backend)
        volume.driver = config.string(backend, "volume_driver", default: volume.driver)
        guard volume.driver == "file" else {
            throw ConfigError(message: "[\(backend)] volume_driver = \(volume.driver): this version has `file`")
        }
        volume.directory = config[backend, "volumes_dir"]
        volume.exportHost = config[backend, "target_ip_address"]
        volume.localAttach = try config.bool(backend, "local_attach", default: volume.localAttach)
        if let range = config[backend, "target_port_range"] {
            let parts = range.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2, 1 <= parts[0], parts[0] <= parts[1], parts[1] <= 65535 else {
                throw ConfigError(message: "[\(backend)] target_port_range = \(range) is not low:high")
            }
            volume.exportPorts = parts[0]...parts[1]
        }
    }
}
