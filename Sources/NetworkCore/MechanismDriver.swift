/// A change of one networking resource, as the mechanism drivers are told of it.
public enum NetworkResource: Sendable, Equatable {
    case network(Network)
    case subnet(Subnet)
    case port(NetworkPort)
    case securityGroup(SecurityGroup)
    case securityGroupRule(SecurityGroupRule)
    case router(NetworkRouter)
    case floatingIP(FloatingIP)
}

public enum ResourceChange: Sendable, Equatable {
    case created(NetworkResource)
    case updated(old: NetworkResource, new: NetworkResource)
    case deleted(NetworkResource)
}

/// What a mechanism driver answers when a port is bound to a host.
public struct BindingResult: Sendable, Equatable {
    public var vifType: String
    /// JSON text.
    public var vifDetails: String
    /// Whether the port is up as soon as it is bound (no data plane to wait for), or goes ACTIVE later when
    /// the driver reports it (`PortStatusSink`).
    public var activeOnBind: Bool

    public init(vifType: String, vifDetails: String, activeOnBind: Bool) {
        self.vifType = vifType
        self.vifDetails = vifDetails
        self.activeOnBind = activeOnBind
    }
}

/// ML2's mechanism driver: turns the networking records into a data plane. The networking service calls it
/// after each change is stored, inside the same request (`[ml2] mechanism_drivers`), and asks it to bind
/// ports to hosts; a driver with a data plane reports ports up later.
public protocol MechanismDriver: Sendable {
    var name: String { get }
    /// Called after the change is committed, before the request answers (ML2's *_postcommit).
    func changed(_ change: ResourceChange) async throws
    /// Binds `port` to `host`; nil when this driver cannot (the port's binding fails).
    func bind(_ port: NetworkPort, host: String) async throws -> BindingResult?
    /// Starts the driver's background work (its data plane's connection, drift repair, link reports to
    /// `statuses`); returns once the data plane was reached or the attempt failed (it goes on trying).
    func start(statuses: any PortStatusSink) async
    /// Ends the background work and closes the data plane's connections.
    func stop() async
    /// Whether each network with an IPv4 DHCP subnet gets a metadata port (`network:distributed`, an
    /// address on each such subnet) that the hosts' metadata agents answer 169.254.169.254 behind.
    var wantsMetadataPorts: Bool { get }
}

extension MechanismDriver {
    public var wantsMetadataPorts: Bool { false }
    public func start(statuses: any PortStatusSink) async {}
    public func stop() async {}
}

/// `[ml2] mechanism_drivers = noop`: no data plane; a port is ACTIVE as soon as it is bound.
public struct NoopMechanismDriver: MechanismDriver {
    public init() {}
    public var name: String { "noop" }
    public func changed(_ change: ResourceChange) async throws {}
    public func bind(_ port: NetworkPort, host: String) async throws -> BindingResult? {
        BindingResult(vifType: "other", vifDetails: #"{"port_filter": false}"#, activeOnBind: true)
    }
}
