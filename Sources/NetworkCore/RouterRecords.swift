import Foundation

/// A router: connects subnets (interfaces, ports it owns on them) and, through its gateway, an external
/// network, with source NAT for the subnets behind it.
public struct NetworkRouter: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var name: String
    public var adminStateUp: Bool
    public var status: String
    public var gateway: RouterGateway?
    public var standard: StandardAttributes

    public init(id: String, projectID: String, name: String, createdAt: Date) {
        self.id = id
        self.projectID = projectID
        self.name = name
        self.adminStateUp = true
        self.status = "ACTIVE"
        self.standard = StandardAttributes(createdAt: createdAt)
    }
}

/// `external_gateway_info`: the external network, whether SNAT is on, and the gateway port's addresses.
public struct RouterGateway: Sendable, Codable, Equatable {
    public var networkID: String
    public var enableSNAT: Bool
    public var portID: String
    public var externalFixedIPs: [FixedIP]

    public init(networkID: String, enableSNAT: Bool, portID: String, externalFixedIPs: [FixedIP]) {
        self.networkID = networkID
        self.enableSNAT = enableSNAT
        self.portID = portID
        self.externalFixedIPs = externalFixedIPs
    }
}

/// A floating IP: an address of an external network (held by a port of its own), mapped to a fixed IP of a
/// port behind a router with a gateway on that network.
public struct FloatingIP: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var floatingNetworkID: String
    public var floatingIPAddress: String
    /// The port on the external network that holds the address (device_owner network:floatingip).
    public var floatingPortID: String
    public var portID: String?
    public var fixedIPAddress: String?
    public var routerID: String?
    public var status: String
    public var standard: StandardAttributes

    public init(
        id: String, projectID: String, floatingNetworkID: String, floatingIPAddress: String, floatingPortID: String,
        createdAt: Date
    ) {
        self.id = id
        self.projectID = projectID
        self.floatingNetworkID = floatingNetworkID
        self.floatingIPAddress = floatingIPAddress
        self.floatingPortID = floatingPortID
        self.status = "DOWN"
        self.standard = StandardAttributes(createdAt: createdAt)
    }
}

/// Device owners of the ports the networking service makes for itself.
public enum DeviceOwner {
    public static let routerInterface = "network:router_interface"
    public static let routerGateway = "network:router_gateway"
    public static let floatingIP = "network:floatingip"
    /// The metadata port of a network (ML2/OVN's `localport`, which each host's metadata agent binds).
    public static let distributed = "network:distributed"
}
