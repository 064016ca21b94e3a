/// What the scheduler is asked to place (Nova's RequestSpec subset).
public struct RequestSpec: Sendable, Codable, Equatable {
    public var instanceUUIDs: [String]
    public var projectID: String
    public var userID: String
    public var flavor: Flavor
    public var imageRef: String
    public var availabilityZone: String?
    /// An admin's `az:host` forced host.
    public var forcedHost: String?

    public init(
        instanceUUIDs: [String], projectID: String, userID: String, flavor: Flavor, imageRef: String,
        availabilityZone: String? = nil, forcedHost: String? = nil
    ) {
        self.instanceUUIDs = instanceUUIDs
        self.projectID = projectID
        self.userID = userID
        self.flavor = flavor
        self.imageRef = imageRef
        self.availabilityZone = availabilityZone
        self.forcedHost = forcedHost
    }
}

/// A chosen host for one instance, with its resources already claimed.
public struct Selection: Sendable, Codable, Equatable {
    public var instanceUUID: String
    public var host: String
    public var nodename: String
    public var nodeUUID: String

    public init(instanceUUID: String, host: String, nodename: String, nodeUUID: String) {
        self.instanceUUID = instanceUUID
        self.host = host
        self.nodename = nodename
        self.nodeUUID = nodeUUID
    }
}

public struct BuildInstancesRequest: Sendable, Codable, Equatable {
    public var spec: RequestSpec
    public init(spec: RequestSpec) { self.spec = spec }
}

public struct InstanceRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var operation: InstanceOperation?

    public init(instance: Instance, operation: InstanceOperation? = nil) {
        self.instance = instance
        self.operation = operation
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
