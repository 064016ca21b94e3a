import APISupport
import Foundation
import NetworkCore
import NetworkOVN
import IdentityService
import NovaConductor
import ImageService
import NovaConfig
import NovaScheduler
import NovaCore
import NovaDB

/// Everything the all-in-one needs to start, from nova.conf and the command line (flags win).
public struct CloudOptions: Sendable {
    public var dataDirectory: String
    /// nil keeps the database in memory (tests).
    public var databasePath: String?
    /// `[database] connection = postgresql://user:password@host:port/db`: every store in PostgreSQL.
    public var databaseURL: String?
    /// What `Database.open` takes: the PostgreSQL URL, or SQLite at `databasePath` (in memory when nil).
    public var databaseConnection: String? { databaseURL ?? databasePath.map { "sqlite:///" + $0 } }
    public var listenHost: String
    public var listenPort: Int
    public var adminPassword: String?
    public var fakeHostCount: Int
    public var fakeHostResources: Resources
    /// `[fake_driver] live_migration_seconds`: how long a fake live migration takes (time to abort one).
    public var fakeLiveMigrationSeconds = 0.1
    public var hostname: String
    public var availabilityZone: String
    /// `[credential] key_repository`: the key that seals credential blobs (an EC2 key pair's secret); every
    /// process that serves the identity API needs the same one (nil: `<state_path>/credential-keys`).
    public var credentialKeyRepository: String?
    public var credentialKeyFile: String { (credentialKeyRepository ?? dataDirectory + "/credential-keys") + "/0" }
    /// `[DEFAULT] default_schedule_zone`: the zone of a create that names none (nil: any zone).
    public var defaultScheduleZone: String?
    /// `[filter_scheduler]` and `[scheduler]`: filters, weigher multipliers, subset size, attempts.
    public var scheduler = SchedulerOptions()
    /// `[api] auth_strategy` of the placement service alone (`keystone` or `noauth2`, for testing).
    public var placementNoAuth = false
    /// `[oslo_policy]`: the policy Placement enforces (new defaults and scope checks on, a rules file).
    public var policy = PolicyOptions()
    /// `[placement] randomize_allocation_candidates`: a `limit`ed answer starts at a random provider.
    public var randomizeAllocationCandidates = false
    public var serviceDownTime: TimeInterval
    public var reportInterval: Duration
    /// `[DEFAULT] sync_power_state_interval`: how often compute hosts compare power states with the hypervisor.
    public var syncPowerStateInterval: Duration
    public var tokenLifetime: TimeInterval
    /// `[token] cache_time`: how long a process trusts a token it validated before reading its row again,
    /// and so the longest a revocation made in another process takes to reach this one.
    public var tokenCacheTime: TimeInterval = 30
    /// `[keystone_authtoken]` and `[glance] api_servers`: see CloudOptions+Identity.
    public var external = ExternalServices()
    /// `[image_quota]`: see CloudOptions+Image.
    public var imageQuotas = ImageQuotas()
    public var maxLimit: Int
    public var cpuAllocationRatio: Double
    public var ramAllocationRatio: Double
    public var diskAllocationRatio: Double
    public var reservedHostMemoryMB: Int
    /// The private network servers with `networks: auto` get an address on.
    public var fixedRange: IPv4Network
    /// Write admin-openrc.sh / demo-openrc.sh and print the block (off in tests).
    public var writeOpenrc: Bool
    /// `[DEFAULT] compute_driver`: `fake.FakeDriver` (the default) or `qemu` (also `libvirt.LibvirtDriver`).
    public var computeDriver: ComputeDriverKind = .fake
    /// `[DEFAULT] my_ip`: the address other hosts reach a compute host at (live migrations arrive there, and
    /// the hypervisor's host_ip). Unset, the all-in-one's hosts use 127.0.0.1 and a compute process the
    /// machine's first non-loopback IPv4 address, as Nova's default is the host's address.
    public var myIP: String?
    /// The QEMU driver's options (`[libvirt] virt_type`, `[DEFAULT] instances_path`, `shutdown_timeout`).
    public var qemu = QEMUOptions()
    /// `[vnc]` and `[consoleauth]`: the console proxies and their tokens.
    public var console = ConsoleOptions()
    /// The metadata API (`[DEFAULT] enabled_apis`, `metadata_listen`, `metadata_listen_port`).
    public var metadata = MetadataOptions()
    /// Move tasks: `[DEFAULT] allow_resize_to_same_host`, `resize_confirm_window`, `[conductor] move_step_timeout`,
    /// `[libvirt] live_migration_completion_timeout`.
    public var moves = MoveOptions()
    /// `[DEFAULT] reclaim_instance_interval`: > 0 makes DELETE a soft delete, reclaimed after that many seconds.
    public var reclaimInstanceInterval: TimeInterval = 0
    /// `[DEFAULT] transport_url`: `nats://host:port` carries the services' messages over NATS; nil keeps
    /// them in process.
    public var transportURL: String?
    /// `[DEFAULT] rpc_response_timeout` (seconds): how long a call over the bus waits for its reply.
    public var rpcResponseTimeout = 60
    /// `[oslo_messaging_notifications] driver = messagingv2` with `[notifications] notification_format =
    /// versioned` (or both): compute hosts publish Nova's versioned notifications on the bus.
    public var versionedNotifications = false
    /// Ours, `[notifications] jetstream = true` (with a NATS transport): notifications are stored in the
    /// JetStream stream NOVA_NOTIFICATIONS, each publish acknowledged (nats-server needs `-js`).
    public var jetStreamNotifications = false
    /// `[DEFAULT] shelved_offload_time` (0: offload at once, -1: never) and `shelved_poll_interval` (seconds).
    public var shelvedOffloadTime = 0
    public var shelvedPollInterval = 3600
    /// `[DEFAULT] instance_usage_audit` and `instance_usage_audit_period` (`hour`, `day`, `month`, `year`, with an
    /// optional `@offset`).
    public var instanceUsageAudit = false
    public var instanceUsageAuditPeriod = AuditPeriod.monthly
    /// `[DEFAULT] vif_plugging_timeout` (seconds; 0: builds do not wait for their ports) and
    /// `vif_plugging_is_fatal`.
    public var vifPluggingTimeout = 300
    public var vifPluggingIsFatal = true
    /// How separate service processes reach Placement and Glance (`[service_user]`, endpoint overrides).
    public var scaleOut = ScaleOutOptions()
    /// The networking service's options (`[ml2]`, `[ml2_type_*]`, `[quotas]`).
    public var network = NetworkOptions()
    /// `[ml2] mechanism_drivers`.
    public var mechanismDrivers = ["noop"]
    /// `[ovn]`: the OVN databases, for `mechanism_drivers = ovn`.
    public var ovn = OVNOptions(northbound: "tcp:127.0.0.1:6641", southbound: "tcp:127.0.0.1:6642")
    /// The block-storage service (`[DEFAULT] enabled_backends` and the backend's section).
    public var volume = VolumeServiceOptions()
    /// `[ssl] cert_file` / `key_file`: the process's HTTP listeners serve HTTPS.
    public var tls: TLSOptions?
    /// `[cors]`: the origins browsers may call the APIs from (off when none).
    public var cors: CORSOptions?

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
        self.databasePath = dataDirectory + "/nova.sqlite"
        self.listenHost = "127.0.0.1"
        self.listenPort = 8774
        self.fakeHostCount = 1
        self.fakeHostResources = Resources(vcpus: 1000, memoryMB: 800_000, diskGB: 600_000)
        self.hostname = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        self.availabilityZone = "nova"
        self.serviceDownTime = 60
        self.reportInterval = .seconds(10)
        self.syncPowerStateInterval = .seconds(600)
        self.tokenLifetime = 3600
        self.maxLimit = 1000
        self.cpuAllocationRatio = 4.0
        self.ramAllocationRatio = 1.0
        self.diskAllocationRatio = 1.0
        self.reservedHostMemoryMB = 512
        self.fixedRange = IPv4Network(parsing: "10.0.0.0/16")!
        self.writeOpenrc = true
    }

    /// Options from nova.conf, Nova's names where Nova has the option.
    public init(config: NovaConfig, dataDirectory: String?) throws {
        self.init(dataDirectory: dataDirectory ?? config.string("DEFAULT", "state_path", default: "./data"))
        if let connection = config["database", "connection"] {
            if connection.hasPrefix("postgresql://") || connection.hasPrefix("postgres://") {
                databaseURL = connection
            } else if connection.hasPrefix("sqlite:///") {
                databasePath = String(connection.dropFirst("sqlite:///".count))
            } else {
                throw ConfigError(
                    message: "[database] connection = \(connection) is neither sqlite:///PATH nor postgresql://...")
            }
        }
        listenHost = config.string("DEFAULT", "osapi_compute_listen", default: listenHost)
        listenPort = try config.int("DEFAULT", "osapi_compute_listen_port", default: listenPort)
        hostname = config.string("DEFAULT", "host", default: hostname)
        availabilityZone = config.string("DEFAULT", "default_availability_zone", default: availabilityZone)
        credentialKeyRepository = config["credential", "key_repository"]
        defaultScheduleZone = config["DEFAULT", "default_schedule_zone"].flatMap { $0.isEmpty ? nil : $0 }
        serviceDownTime = TimeInterval(try config.int("DEFAULT", "service_down_time", default: Int(serviceDownTime)))
        reportInterval = .seconds(try config.int("DEFAULT", "report_interval", default: 10))
        syncPowerStateInterval = .seconds(try config.int("DEFAULT", "sync_power_state_interval", default: 600))
        cpuAllocationRatio = try config.double("DEFAULT", "cpu_allocation_ratio", default: cpuAllocationRatio)
        ramAllocationRatio = try config.double("DEFAULT", "ram_allocation_ratio", default: ramAllocationRatio)
        diskAllocationRatio = try config.double("DEFAULT", "disk_allocation_ratio", default: diskAllocationRatio)
        reservedHostMemoryMB = try config.int("DEFAULT", "reserved_host_memory_mb", default: reservedHostMemoryMB)
        if let range = config["DEFAULT", "fixed_range"] {
            guard let network = IPv4Network(parsing: range) else {
                throw ConfigError(message: "[DEFAULT] fixed_range = \(range) is not an IPv4 CIDR between /8 and /30")
            }
            fixedRange = network
        }
        try readScheduler(config)
        randomizeAllocationCandidates = config["placement", "randomize_allocation_candidates"]?.lowercased() == "true"
        if let strategy = config["api", "auth_strategy"] {
            guard strategy == "keystone" || strategy == "noauth2" else {
                throw ConfigError(message: "[api] auth_strategy = \(strategy): keystone or noauth2")
            }
            placementNoAuth = strategy == "noauth2"
        }
        policy = PolicyOptions(
            enforceNewDefaults: try config.bool("oslo_policy", "enforce_new_defaults", default: true),
            enforceScope: try config.bool("oslo_policy", "enforce_scope", default: true),
            policyFile: config["oslo_policy", "policy_file"])
        maxLimit = try config.int("api", "max_limit", default: maxLimit)
        tokenLifetime = TimeInterval(try config.int("token", "expiration", default: Int(tokenLifetime)))
        tokenCacheTime = TimeInterval(try config.int("token", "cache_time", default: Int(tokenCacheTime)))
        fakeHostCount = try config.int("fake_driver", "hosts", default: fakeHostCount)
        fakeHostResources = Resources(
            vcpus: try config.int("fake_driver", "vcpus", default: fakeHostResources.vcpus),
            memoryMB: try config.int("fake_driver", "memory_mb", default: fakeHostResources.memoryMB),
            diskGB: try config.int("fake_driver", "disk_gb", default: fakeHostResources.diskGB))
        fakeLiveMigrationSeconds = try config.double(
            "fake_driver", "live_migration_seconds", default: fakeLiveMigrationSeconds)
        if let driver = config["DEFAULT", "compute_driver"] {
            guard let kind = ComputeDriverKind(configValue: driver) else {
                throw ConfigError(
                    message: "[DEFAULT] compute_driver = \(driver): fake.FakeDriver or qemu (libvirt.LibvirtDriver)")
            }
            computeDriver = kind
        }
        try readQEMU(config)
        try readScaleOut(config)
        try readNetwork(config)
        try readTLS(config)
        try readCORS(config)
        try readConsole(config)
        try readMetadata(config)
        try readVolume(config)
        try readImageQuotas(config)
        try readExternalServices(config)
        reclaimInstanceInterval = TimeInterval(try config.int("DEFAULT", "reclaim_instance_interval", default: 0))
        shelvedOffloadTime = try config.int("DEFAULT", "shelved_offload_time", default: 0)
        let driver = config.string("oslo_messaging_notifications", "driver", default: "")
        let format = config.string("notifications", "notification_format", default: "unversioned")
        versionedNotifications =
            ["messaging", "messagingv2"].contains(driver) && ["versioned", "both"].contains(format)
        jetStreamNotifications = try config.bool("notifications", "jetstream", default: false)
        let url = config.string("DEFAULT", "transport_url", default: "")
        if !url.isEmpty {
            guard url.hasPrefix("nats://") else {
                throw ConfigError(message: "[DEFAULT] transport_url = \(url) is not nats://host:port")
            }
            transportURL = url
        }
        shelvedPollInterval = max(1, try config.int("DEFAULT", "shelved_poll_interval", default: 3600))
        instanceUsageAudit = try config.bool("DEFAULT", "instance_usage_audit", default: false)
        let period = config.string("DEFAULT", "instance_usage_audit_period", default: "month")
        guard let auditPeriod = AuditPeriod(period) else {
            throw ConfigError(
                message:
                    "[DEFAULT] instance_usage_audit_period = \(period) is not hour, day, month or year with an optional @offset"
            )
        }
        instanceUsageAuditPeriod = auditPeriod
        vifPluggingTimeout = min(86400, max(0, try config.int("DEFAULT", "vif_plugging_timeout", default: 300)))
        vifPluggingIsFatal = try config.bool("DEFAULT", "vif_plugging_is_fatal", default: true)
        rpcResponseTimeout = max(1, try config.int("DEFAULT", "rpc_response_timeout", default: rpcResponseTimeout))
        moves.autoEvacuate = try config.bool("compute", "auto_evacuate", default: false)
        moves.allowResizeToSameHost = try config.bool("DEFAULT", "allow_resize_to_same_host", default: false)
        moves.resizeConfirmWindow = TimeInterval(try config.int("DEFAULT", "resize_confirm_window", default: 0))
        moves.stepTimeout = TimeInterval(
            try config.int("conductor", "move_step_timeout", default: Int(moves.stepTimeout)))
        moves.schedulingTimeout = TimeInterval(
            try config.int("conductor", "scheduling_timeout", default: Int(moves.schedulingTimeout)))
        moves.lostBuildAttempts = try config.int("conductor", "lost_build_attempts", default: moves.lostBuildAttempts)
        moves.liveMigrationTimeout = TimeInterval(
            try config.int("libvirt", "live_migration_completion_timeout", default: Int(moves.liveMigrationTimeout)))
    }

    /// The compute host names: the machine's host name, or `<host>-1` .. `<host>-N` for several fake hosts.
    public var computeHostNames: [String] {
        fakeHostCount <= 1 ? [hostname] : (1...fakeHostCount).map { "\(hostname)-\($0)" }
    }
}

extension CloudOptions {
    mutating func readScheduler(_ config: NovaConfig) throws {
        let section = "filter_scheduler"
        scheduler.enabledFilters = config.list(section, "enabled_filters", default: scheduler.enabledFilters)
        scheduler.maxInstancesPerHost = try config.int(section, "max_instances_per_host", default: 50)
        scheduler.maxIOOpsPerHost = try config.int(section, "max_io_ops_per_host", default: 8)
        scheduler.isolatedImages = config.list(section, "isolated_images", default: [])
        scheduler.isolatedHosts = config.list(section, "isolated_hosts", default: [])
        if let restrict = config[section, "restrict_isolated_hosts_to_isolated_images"] {
            scheduler.restrictIsolatedHostsToIsolatedImages = restrict.lowercased() == "true"
        }
        scheduler.hostSubsetSize = try config.int(section, "host_subset_size", default: 1)
        let multipliers: [(String, WritableKeyPath<SchedulerOptions, Double>)] = [
            ("ram_weight_multiplier", \.ramWeightMultiplier), ("cpu_weight_multiplier", \.cpuWeightMultiplier),
            ("disk_weight_multiplier", \.diskWeightMultiplier),
            ("num_instances_weight_multiplier", \.numInstancesWeightMultiplier),
            ("io_ops_weight_multiplier", \.ioOpsWeightMultiplier),
            ("build_failure_weight_multiplier", \.buildFailureWeightMultiplier),
            ("hypervisor_version_weight_multiplier", \.hypervisorVersionWeightMultiplier),
            ("soft_affinity_weight_multiplier", \.softAffinityWeightMultiplier),
            ("soft_anti_affinity_weight_multiplier", \.softAntiAffinityWeightMultiplier),
        ]
        for (name, keyPath) in multipliers {
            scheduler[keyPath: keyPath] = try config.double(section, name, default: scheduler[keyPath: keyPath])
        }
        scheduler.maxAttempts = try config.int("scheduler", "max_attempts", default: 3)
        scheduler.driver = config["scheduler", "driver"] ?? scheduler.driver
        func flag(_ name: String) -> Bool { config["scheduler", name]?.lowercased() == "true" }
        scheduler.limitTenantsToPlacementAggregate = flag("limit_tenants_to_placement_aggregate")
        scheduler.placementAggregateRequiredForTenants = flag("placement_aggregate_required_for_tenants")
        scheduler.queryPlacementForImageTypeSupport = flag("query_placement_for_image_type_support")
        scheduler.maxPlacementResults = try config.int("scheduler", "max_placement_results", default: 1000)
    }
}

extension CloudOptions {
    /// The token service of a process, with `[token] expiration` and `cache_time`.
    func tokenService(store: IdentityStore, clock: any WallClock) -> TokenService {
        TokenService(store: store, clock: clock, lifetime: tokenLifetime, cacheLifetime: tokenCacheTime)
    }
}
