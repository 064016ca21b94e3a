/// What the scheduler is asked to place (Nova's RequestSpec subset).
public struct RequestSpec: Sendable, Codable, Equatable {
    public var instanceUUIDs: [String]
    public var projectID: String
    public var userID: String
    public var flavor: Flavor
    public var imageRef: String
    public var availabilityZone: String?
    /// The only host the request may use: an admin's `az:host`, 2.74's `host`, a move's target.
    public var forcedHost: String?
    /// How far the forced host bypasses scheduling; nil: it is filtered like any other.
    public var bypass: SchedulingBypass?
    /// `os:scheduler_hints` as given: group, different_host, same_host, cidr, build_near_host_ip, query.
    public var schedulerHints: [String: [String]]
    /// The image's properties (for ImagePropertiesFilter and IsolatedHostsFilter).
    public var imageProperties: [String: String]
    /// Filled in by the scheduler from the database: the group's hosts, the hinted instances' hosts.
    public var resolved: SchedulingHints
    /// Hosts not to choose (a move's source, hosts already tried).
    public var ignoreHosts: [String] = []
    /// The build attempt this request schedules (`Instance.buildAttempt`; nil: the first).
    public var buildAttempt: Int?
    /// The server boots from a volume (Nova's `is_bfv`): its flavor's root disk is not asked of the host.
    public var volumeBacked: Bool?

    /// What a host gives each of the servers: the flavor's resources, without the root disk for a server that
    /// boots from a volume.
    public var resources: Resources {
        var resources = flavor.resources
        if volumeBacked == true { resources.diskGB = max(0, resources.diskGB - flavor.rootGB) }
        return resources
    }

    public init(
        instanceUUIDs: [String], projectID: String, userID: String, flavor: Flavor, imageRef: String,
        availabilityZone: String? = nil, forcedHost: String? = nil, schedulerHints: [String: [String]] = [:],
        imageProperties: [String: String] = [:]
    ) {
        self.schedulerHints = schedulerHints
        self.imageProperties = imageProperties
        self.resolved = SchedulingHints()
        self.instanceUUIDs = instanceUUIDs
        self.projectID = projectID
        self.userID = userID
        self.flavor = flavor
        self.imageRef = imageRef
        self.availabilityZone = availabilityZone
        self.forcedHost = forcedHost
    }
}

extension RequestSpec {
    /// The request of `instance`'s build, made again from what the instance keeps (a lost build).
    public init(rebuilding instance: Instance) {
        self.init(
            instanceUUIDs: [instance.uuid], projectID: instance.projectID, userID: instance.userID,
            flavor: instance.flavor, imageRef: instance.imageRef, availabilityZone: instance.pinnedAvailabilityZone,
            forcedHost: instance.schedulingRequest?.forcedHost, schedulerHints: instance.schedulerHints ?? [:],
            imageProperties: instance.schedulingRequest?.imageProperties ?? [:])
        bypass = instance.schedulingRequest?.skipFilters == true ? .hostFilters : nil
        buildAttempt = instance.buildAttempt
        volumeBacked = instance.isVolumeBacked
    }
}

/// What a forced host skips. `hostFilters`: an admin's `az:host` (Nova's force_hosts) is taken without the
/// host filters, while Placement's pre-filters (disabled hosts, zones, tenant aggregates) still apply.
/// `scheduler`: a move's `force` (Nova claims on the destination without the scheduler): only whether the
/// host's inventory fits the server is asked.
public enum SchedulingBypass: String, Sendable, Codable, Equatable {
    case hostFilters = "host_filters"
    case scheduler
}

/// A chosen host for one instance, with its resources already claimed, and alternates to retry on.
public struct Selection: Sendable, Codable, Equatable {
    public var instanceUUID: String
    public var host: String
    public var nodename: String
    public var nodeUUID: String
    /// Other hosts that passed, best first, with what to claim there (not claimed yet).
    public var alternates: [HostChoice]
    /// The host's availability zone (nil: a scheduler that did not say).
    public var zone: String?

    public init(
        instanceUUID: String, host: String, nodename: String, nodeUUID: String, alternates: [HostChoice] = []
    ) {
        self.instanceUUID = instanceUUID
        self.host = host
        self.nodename = nodename
        self.nodeUUID = nodeUUID
        self.alternates = alternates
    }
}

/// A host the scheduler found suitable and the allocation to claim in Placement to use it.
public struct HostChoice: Sendable, Codable, Equatable {
    public var host: String
    public var nodename: String
    public var nodeUUID: String
    public var allocations: [String: [String: Int]]
    /// The host's availability zone (nil: a scheduler that did not say).
    public var zone: String?

    public init(host: String, nodename: String, nodeUUID: String, allocations: [String: [String: Int]]) {
        self.host = host
        self.nodename = nodename
        self.nodeUUID = nodeUUID
        self.allocations = allocations
    }
}

/// A compute host gives a failed build back to the conductor to try the next alternate.
public struct RescheduleRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var alternates: [HostChoice]
    public var failedHost: String
    public var reason: String

    public init(instance: Instance, alternates: [HostChoice], failedHost: String, reason: String) {
        self.instance = instance
        self.alternates = alternates
        self.failedHost = failedHost
        self.reason = reason
    }
}

public struct BuildInstancesRequest: Sendable, Codable, Equatable {
    public var spec: RequestSpec
    public init(spec: RequestSpec) { self.spec = spec }
}

public struct InstanceRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var operation: InstanceOperation?
    /// For a build: where to retry if it fails here.
    public var alternates: [HostChoice]

    public init(instance: Instance, operation: InstanceOperation? = nil, alternates: [HostChoice] = []) {
        self.instance = instance
        self.operation = operation
        self.alternates = alternates
    }
}

public struct InstanceUpdateRequest: Sendable, Codable, Equatable {
    public var uuid: String
    public var update: InstanceUpdate
    public init(uuid: String, update: InstanceUpdate) {
        self.uuid = uuid
        self.update = update
    }
}

public struct HeartbeatRequest: Sendable, Codable, Equatable {
    public var host: String
    public var binary: String
    public var topic: String
    public var zone: String
    public init(host: String, binary: String, topic: String, zone: String) {
        self.host = host
        self.binary = binary
        self.topic = topic
        self.zone = zone
    }
}

public struct HostRequest: Sendable, Codable, Equatable {
    public var host: String
    public init(host: String) { self.host = host }
}

public struct UUIDRequest: Sendable, Codable, Equatable {
    public var uuid: String
    public init(uuid: String) { self.uuid = uuid }
}

/// A dry run of the scheduler (our admin `os-scheduler-explain`): what each stage did, without claiming.
public struct SchedulingExplanation: Sendable, Codable, Equatable {
    public struct Weighed: Sendable, Codable, Equatable {
        public var host: String
        public var nodename: String
        public var weight: Double
        public init(host: String, nodename: String, weight: Double) {
            self.host = host
            self.nodename = nodename
            self.weight = weight
        }
    }

    public var hostCount: Int
    /// Hosts Placement left out, by first failed constraint.
    public var placement: [String: Int]
    /// Filters in the order they ran, with how many hosts each removed.
    public var filters: [String]
    public var removed: [Int]
    /// Hosts that passed, best first.
    public var weighed: [Weighed]
    public var message: String

    public init(
        hostCount: Int, placement: [String: Int], filters: [String], removed: [Int], weighed: [Weighed],
        message: String
    ) {
        self.hostCount = hostCount
        self.placement = placement
        self.filters = filters
        self.removed = removed
        self.weighed = weighed
        self.message = message
    }
}

/// A console server of a guest, as the hypervisor host sees it.
public struct ConsoleEndpoint: Sendable, Codable, Equatable {
    public var host: String
    public var port: Int
    /// Nova's internal_access_path: an HTTP CONNECT path some hypervisors need (nil for QEMU's VNC).
    public var internalAccessPath: String?

    public init(host: String, port: Int, internalAccessPath: String? = nil) {
        self.host = host
        self.port = port
        self.internalAccessPath = internalAccessPath
    }
}

/// get_console_output: the last `length` lines (all when nil).
public struct ConsoleOutputRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var length: Int?
    public init(instance: Instance, length: Int?) {
        self.instance = instance
        self.length = length
    }
}

public struct ConsoleOutputReply: Sendable, Codable, Equatable {
    public var output: String
    public init(output: String) { self.output = output }
}

/// snapshot_instance: upload the root disk as the queued image `imageID`.
public struct SnapshotRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var imageID: String
    /// A backup (createBackup): its type and how many of that type to keep.
    public var backup: BackupRotation?
    public init(instance: Instance, imageID: String, backup: BackupRotation? = nil) {
        self.instance = instance
        self.imageID = imageID
        self.backup = backup
    }
}

public struct BackupRotation: Sendable, Codable, Equatable {
    public var backupType: String
    public var rotation: Int
    public init(backupType: String, rotation: Int) {
        self.backupType = backupType
        self.rotation = rotation
    }
}

/// validate_console_port: whether the guest's console still listens on `port`.
public struct CacheImagesRequest: Sendable, Codable, Equatable {
    public var imageIDs: [String]
    public init(imageIDs: [String]) { self.imageIDs = imageIDs }
}

public struct AdminPasswordRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var password: String
    public init(instance: Instance, password: String) {
        self.instance = instance
        self.password = password
    }
}

public struct ConsolePortRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var port: Int
    /// `serial` for the serial console; nil for VNC (novnc, xvpvnc).
    public var consoleType: String?
    public init(instance: Instance, port: Int, consoleType: String? = nil) {
        self.instance = instance
        self.port = port
        self.consoleType = consoleType
    }
}
