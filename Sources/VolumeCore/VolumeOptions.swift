import NovaCore

/// The volume service's configuration (cinder.conf's `[DEFAULT]` and quota options).
public struct VolumeOptions: Sendable, Equatable {
    /// `storage_availability_zone`: the zone of this service's volumes.
    public var availabilityZone: String
    /// `default_volume_type`: the type of a volume whose request names none (`__DEFAULT__` when unset).
    public var defaultVolumeType: String?
    /// The volume service's host name (a volume's `host` is `<host>@<backend>#<pool>`).
    public var host: String
    /// Limits a project has until an admin sets its own (`quota_volumes`, `quota_gigabytes`, ...).
    public var defaultQuotas: [String: Int]

    public init(
        availabilityZone: String = "nova", defaultVolumeType: String? = nil, host: String = "localhost",
        defaultQuotas: [String: Int] = VolumeQuota.defaults
    ) {
        self.availabilityZone = availabilityZone
        self.defaultVolumeType = defaultVolumeType
        self.host = host
        self.defaultQuotas = defaultQuotas
    }
}

/// Cinder's quota resources and their defaults.
public enum VolumeQuota {
    public static let defaults: [String: Int] = [
        "volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10, "backup_gigabytes": 1000,
        "per_volume_gigabytes": -1, "groups": 10,
    ]
    public static let resources = [
        "volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "groups",
        "per_volume_gigabytes",
    ]

    /// What a project uses of one resource against its limit: the quota check Cinder makes, with its words.
    public static func check(
        _ resource: String, limit: Int, used: Int, adding: Int
    ) throws(NovaError) {
        guard limit >= 0, adding > 0, used.saturatingAdd(adding) > limit else { return }
        switch resource {
        case "gigabytes":
            throw .volumeQuotaExceeded(
                "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. "
                    + "Requested \(adding)G, quota is \(limit)G and \(used)G has been consumed.")
        case "snapshots":
            throw .volumeQuotaExceeded(
                "SnapshotLimitExceeded: Maximum number of snapshots allowed (\(limit)) exceeded")
        default:
            throw .volumeQuotaExceeded(
                "VolumeLimitExceeded: Maximum number of volumes allowed (\(limit)) exceeded for quota '\(resource)'.")
        }
    }
}
