import NovaCore

/// The `[DEFAULT]` and `[compute]` options a compute service uses.
public struct ComputeConfig: Sendable {
    public var host: String
    public var availabilityZone: String
    public var reportInterval: Duration
    public var resourceUpdateInterval: Duration
    public var syncPowerStateInterval: Duration
    public var cpuAllocationRatio: Double
    public var ramAllocationRatio: Double
    public var diskAllocationRatio: Double
    public var reservedHostMemoryMB: Int
    public var reservedHostDiskGB: Int
    /// `[DEFAULT] shelved_offload_time`: 0 offloads at once, -1 never, N after N seconds.
    public var shelvedOffloadTime: Int
    public var shelvedPollInterval: Duration
    /// How often the host looks for builds of its own that were lost half way (`recoverLostBuilds`).
    public var lostBuildPollInterval: Duration = .seconds(60)
    /// `[DEFAULT] vif_plugging_timeout`: how long a build waits for `network-vif-plugged` of each port that is
    /// not ACTIVE yet (0: it does not wait).
    public var vifPluggingTimeout: Duration = .seconds(300)
    /// `[DEFAULT] vif_plugging_is_fatal`: whether a build whose ports never came up fails.
    public var vifPluggingIsFatal = true
    /// `[DEFAULT] block_device_allocate_retries` and `block_device_allocate_retries_interval`: how long a build
    /// waits for the volumes it asked the block-storage service to make.
    public var blockDeviceAllocateRetries = 60
    public var blockDeviceAllocateInterval: Duration = .seconds(3)
    /// `[DEFAULT] instance_usage_audit`: the host audits its instances' usage once per audit period.
    public var instanceUsageAudit = false
    /// `[DEFAULT] instance_usage_audit_period`.
    public var instanceUsageAuditPeriod = AuditPeriod.monthly
    /// How often the host checks whether a period's audit is due (Nova's periodic task spacing).
    public var usageAuditPollInterval: Duration = .seconds(60)

    public init(
        host: String, availabilityZone: String = "nova", reportInterval: Duration = .seconds(10),
        resourceUpdateInterval: Duration = .seconds(60), syncPowerStateInterval: Duration = .seconds(600),
        cpuAllocationRatio: Double = 4.0, ramAllocationRatio: Double = 1.0, diskAllocationRatio: Double = 1.0,
        reservedHostMemoryMB: Int = 512, reservedHostDiskGB: Int = 0, shelvedOffloadTime: Int = 0,
        shelvedPollInterval: Duration = .seconds(3600)
    ) {
        self.shelvedOffloadTime = shelvedOffloadTime
        self.shelvedPollInterval = shelvedPollInterval
        self.host = host
        self.availabilityZone = availabilityZone
        self.reportInterval = reportInterval
        self.resourceUpdateInterval = resourceUpdateInterval
        self.syncPowerStateInterval = syncPowerStateInterval
        self.cpuAllocationRatio = cpuAllocationRatio
        self.ramAllocationRatio = ramAllocationRatio
        self.diskAllocationRatio = diskAllocationRatio
        self.reservedHostMemoryMB = reservedHostMemoryMB
        self.reservedHostDiskGB = reservedHostDiskGB
    }
}
