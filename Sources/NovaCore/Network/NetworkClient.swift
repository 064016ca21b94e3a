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

/// A port as Nova sees it (what its network info cache keeps of a VIF).
public struct PortSummary: Sendable, Codable, Equatable {
    public var id: String
    public var networkID: String
    public var projectID: String
    public var macAddress: String
    public var addresses: [String]
    public var deviceID: String
    public var status: String
    public var bindingHost: String

    public init(
        id: String, networkID: String, projectID: String, macAddress: String, addresses: [String], deviceID: String,
        status: String, bindingHost: String
    ) {
        self.id = id
        self.networkID = networkID
        self.projectID = projectID
        self.macAddress = macAddress
        self.addresses = addresses
        self.deviceID = deviceID
        self.status = status
        self.bindingHost = bindingHost
    }
}

/// What Nova asks of the networking service (nova/network/neutron.py), with the service's own credentials:
/// the same calls whether the networking API runs in this process or behind HTTP.
public protocol NetworkClient: Sendable {
    /// Networks by id, or (ids nil) every network `project` may boot on: its own and the shared ones, not
    /// external ones.
    func networks(ids: [String]?, project: String) async throws -> [NetworkSummary]
    /// get-me-a-network: the project's auto-allocated network, made (with a subnet and a router to the
    /// external network) the first time it is asked for.
    func autoAllocatedNetwork(project: String) async throws -> NetworkSummary
    func port(id: String) async throws -> PortSummary?
    func ports(deviceID: String) async throws -> [PortSummary]
    /// A new port of `project` on `networkID` for the server, bound to `host`.
    func createPort(
        networkID: String, project: String, fixedIP: String?, deviceID: String, deviceOwner: String, host: String
    ) async throws -> PortSummary
    /// Binds a port to the server on `host`.
    func bindPort(id: String, deviceID: String, deviceOwner: String, host: String) async throws -> PortSummary
    /// Makes a port the user gave free again: no device, no binding.
    func unbindPort(id: String) async throws
    func deletePort(id: String) async throws
}

/// The port bodies Nova sends the networking service, in Neutron's form (the same in process and over HTTP).
public enum NovaPortBody {
    /// A new port of `project` for a server, bound to `host`.
    public static func create(
        networkID: String, project: String, fixedIP: String?, deviceID: String, deviceOwner: String, host: String
    ) -> JSONObject {
        var body = binding(deviceID: deviceID, deviceOwner: deviceOwner, host: host)
        body["network_id"] = .string(networkID)
        body["project_id"] = .string(project)
        if let fixedIP { body["fixed_ips"] = [["ip_address": .string(fixedIP)]] }
        return body
    }

    /// A port given to (or, all empty, taken back from) a server on `host`.
    public static func binding(deviceID: String, deviceOwner: String, host: String) -> JSONObject {
        ["device_id": .string(deviceID), "device_owner": .string(deviceOwner), "binding:host_id": .string(host)]
    }
}
