/// One entry of a server create's `networks` (Nova's NetworkRequest): a network to get a new port on (with
/// an address of the caller's choice or any), or a port the user made.
public struct NetworkRequest: Sendable, Codable, Equatable {
    public var networkID: String?
    public var portID: String?
    public var fixedIP: String?
    public var tag: String?
    /// The network's name as the API found it (the server's `addresses` are keyed by it).
    public var networkName: String?

    public init(
        networkID: String? = nil, portID: String? = nil, fixedIP: String? = nil, tag: String? = nil,
        networkName: String? = nil
    ) {
        self.networkName = networkName
        self.networkID = networkID
        self.portID = portID
        self.fixedIP = fixedIP
        self.tag = tag
    }
}

/// A network as Nova sees it.
public struct NetworkSummary: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var projectID: String
    public var shared: Bool
    public var external: Bool
    public var hasSubnets: Bool

    public init(id: String, name: String, projectID: String, shared: Bool, external: Bool, hasSubnets: Bool) {
        self.id = id
        self.name = name
        self.projectID = projectID
        self.shared = shared
        self.external = external
        self.hasSubnets = hasSubnets
    }
}

/// One fixed IP of a port: the subnet it is on and the address.
public struct PortFixedIP: Sendable, Codable, Equatable {
    public var subnetID: String
    public var address: String

    public init(subnetID: String, address: String) {
        self.subnetID = subnetID
        self.address = address
    }
}

/// A port as Nova sees it (what its network info cache keeps of a VIF).
public struct PortSummary: Sendable, Codable, Equatable {
    public var id: String
    public var networkID: String
    public var projectID: String
    public var macAddress: String
    public var fixedIPs: [PortFixedIP]
    public var deviceID: String
    public var deviceOwner: String
    public var status: String
    public var bindingHost: String
    public var securityGroups: [String]
    /// `binding:vif_type` and `binding:vif_details` (values as text).
    public var vifType: String
    public var vifDetails: [String: String]

    public var addresses: [String] { fixedIPs.map(\.address) }

    /// `binding:vif_details` as text values (booleans and numbers as JSON writes them).
    public static func vifDetails(_ json: JSON?) -> [String: String] {
        var details: [String: String] = [:]
        for (key, value) in json?.objectValue?.entries ?? [] { details[key] = value.stringValue ?? value.serialized() }
        return details
    }

    public init(
        id: String, networkID: String, projectID: String, macAddress: String, fixedIPs: [PortFixedIP],
        deviceID: String, deviceOwner: String = "", status: String, bindingHost: String, securityGroups: [String] = [],
        vifType: String = "unbound", vifDetails: [String: String] = [:]
    ) {
        self.vifType = vifType
        self.vifDetails = vifDetails
        self.id = id
        self.networkID = networkID
        self.projectID = projectID
        self.macAddress = macAddress
        self.fixedIPs = fixedIPs
        self.deviceID = deviceID
        self.deviceOwner = deviceOwner
        self.status = status
        self.bindingHost = bindingHost
        self.securityGroups = securityGroups
    }
}

/// A floating IP associated with a port's fixed IP.
public struct FloatingSummary: Sendable, Codable, Equatable {
    public var portID: String
    public var fixedAddress: String
    public var floatingAddress: String

    public init(portID: String, fixedAddress: String, floatingAddress: String) {
        self.portID = portID
        self.fixedAddress = fixedAddress
        self.floatingAddress = floatingAddress
    }
}

/// A security group as Nova sees it.
public struct SecurityGroupSummary: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var projectID: String

    public init(id: String, name: String, projectID: String) {
        self.id = id
        self.name = name
        self.projectID = projectID
    }
}

/// What Nova asks of the networking service (nova/network/neutron.py), with the service's own credentials:
/// the same calls whether the networking API runs in this process or behind HTTP.
public protocol NetworkClient: Sendable {
    /// Networks by id (those `project` sees; every one when nil, an admin's view), or (ids nil) every network
    /// `project` may boot on: its own and the shared ones, not external ones.
    func networks(ids: [String]?, project: String?) async throws -> [NetworkSummary]
    /// get-me-a-network: the project's auto-allocated network, made (with a subnet and a router to the
    /// external network) the first time it is asked for.
    func autoAllocatedNetwork(project: String) async throws -> NetworkSummary
    func port(id: String) async throws -> PortSummary?
    func ports(deviceID: String) async throws -> [PortSummary]
    /// A new port of `project` on `networkID` for the server, bound to `host`, in `securityGroups` (ids; nil:
    /// the project's default group).
    func createPort(
        networkID: String, project: String, fixedIP: String?, securityGroups: [String]?, deviceID: String,
        deviceOwner: String, host: String
    ) async throws -> PortSummary
    /// Binds a port to the server on `host`.
    func bindPort(id: String, deviceID: String, deviceOwner: String, host: String) async throws -> PortSummary
    /// Makes a port the user gave free again: no device, no binding.
    func unbindPort(id: String) async throws
    func deletePort(id: String) async throws
    /// The floating IPs associated with these ports.
    func floatingIPs(portIDs: [String]) async throws -> [FloatingSummary]
    /// The security groups `project` may use (its own; all when nil).
    func securityGroups(project: String) async throws -> [SecurityGroupSummary]
    /// Sets a port's security groups (ids).
    func setSecurityGroups(portID: String, groups: [String]) async throws
    /// binding-extended: an INACTIVE binding of the port on `host` beside its active one (a live migration's
    /// destination), made active at the switch or deleted on rollback.
    func createBinding(portID: String, host: String) async throws
    func activateBinding(portID: String, host: String) async throws
    func deleteBinding(portID: String, host: String) async throws
    /// A networking API call made as the user, with the user's token (Nova's proxy APIs below 2.36 call
    /// Neutron so): `path` under `/v2.0`, the networking service's policy applies; nil for an empty answer.
    func request(_ method: String, _ path: String, body: JSON?, as user: NetworkUser) async throws -> JSON?
}

/// Who a proxied networking call is made for: the user's credentials and the token they came with.
public struct NetworkUser: Sendable {
    public var credentials: Credentials
    public var token: String

    public init(credentials: Credentials, token: String) {
        self.credentials = credentials
        self.token = token
    }

    /// Nova itself (its service credentials; over HTTP, the service's own token).
    public static let service = NetworkUser(
        credentials: Credentials(
            userID: "nova", userName: "nova", projectID: "", projectName: "service", roles: ["admin", "service"]),
        token: "")
}

/// The port bodies Nova sends the networking service, in Neutron's form (the same in process and over HTTP).
public enum NovaPortBody {
    /// A new port of `project` for a server, bound to `host`.
    public static func create(
        networkID: String, project: String, fixedIP: String?, securityGroups: [String]?, deviceID: String,
        deviceOwner: String, host: String
    ) -> JSONObject {
        var body = binding(deviceID: deviceID, deviceOwner: deviceOwner, host: host)
        body["network_id"] = .string(networkID)
        body["project_id"] = .string(project)
        if let fixedIP { body["fixed_ips"] = [["ip_address": .string(fixedIP)]] }
        if let securityGroups { body["security_groups"] = .array(securityGroups.map(JSON.string)) }
        return body
    }

    /// A port given to (or, all empty, taken back from) a server on `host`.
    public static func binding(deviceID: String, deviceOwner: String, host: String) -> JSONObject {
        ["device_id": .string(deviceID), "device_owner": .string(deviceOwner), "binding:host_id": .string(host)]
    }
}

/// One event of `os-server-external-events`: what the networking (or block storage) service tells Nova of a
/// server's device.
public struct ServerExternalEvent: Sendable, Codable, Equatable {
    public static let vifPlugged = "network-vif-plugged"
    public static let vifUnplugged = "network-vif-unplugged"
    public static let networkChanged = "network-changed"
    public static let vifDeleted = "network-vif-deleted"
    public static let volumeExtended = "volume-extended"

    public var name: String
    public var serverUUID: String
    /// The device the event is about (a port's id).
    public var tag: String?
    /// completed, failed or in-progress.
    public var status: String
    /// Nova's answer for this event (200, 404, 422), set by the API.
    public var code: Int?

    public init(name: String, serverUUID: String, tag: String? = nil, status: String = "completed", code: Int? = nil) {
        self.name = name
        self.serverUUID = serverUUID
        self.tag = tag
        self.status = status
        self.code = code
    }

    /// The key a compute host waits on: `network-vif-plugged-<port>`.
    public var key: String { tag.map { name + "-" + $0 } ?? name }
}

/// Where a service sends server events (Neutron's nova notifier): in process, or Nova's API over HTTP.
public protocol ServerEventSink: Sendable {
    func send(_ events: [ServerExternalEvent]) async throws
}
