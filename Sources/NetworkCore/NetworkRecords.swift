import Foundation

/// The fields every Neutron resource carries (Neutron's standard attributes).
public struct StandardAttributes: Sendable, Codable, Equatable {
    public var description: String
    public var createdAt: Date
    public var updatedAt: Date
    public var revisionNumber: Int

    public init(description: String = "", createdAt: Date) {
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.revisionNumber = 0
    }

    /// A change: a new revision at `date`.
    public mutating func touch(_ date: Date) {
        updatedAt = date
        revisionNumber += 1
    }
}

/// A Neutron network (with the provider and external-net extensions).
public struct Network: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var name: String
    public var adminStateUp: Bool
    public var shared: Bool
    public var external: Bool
    public var mtu: Int
    public var status: String
    public var segment: Segment
    public var portSecurityEnabled: Bool
    public var availabilityZoneHints: [String]
    public var standard: StandardAttributes

    public init(id: String, projectID: String, name: String, segment: Segment, mtu: Int, createdAt: Date) {
        self.id = id
        self.projectID = projectID
        self.name = name
        self.adminStateUp = true
        self.shared = false
        self.external = false
        self.mtu = mtu
        self.status = "ACTIVE"
        self.segment = segment
        self.portSecurityEnabled = true
        self.availabilityZoneHints = []
        self.standard = StandardAttributes(createdAt: createdAt)
    }
}

/// A network's segment: `provider:network_type`, `provider:physical_network`, `provider:segmentation_id`.
public struct Segment: Sendable, Codable, Equatable {
    public var networkType: String
    public var physicalNetwork: String?
    public var segmentationID: Int?

    public init(networkType: String, physicalNetwork: String? = nil, segmentationID: Int? = nil) {
        self.networkType = networkType
        self.physicalNetwork = physicalNetwork
        self.segmentationID = segmentationID
    }

    /// What no two networks may share: one VNI per overlay type, one VLAN id per physical network, one flat
    /// network per physical network; nil for `local` (any number).
    public var uniqueKey: String? {
        switch networkType {
        case "geneve", "vxlan": segmentationID.map { "\(networkType):\($0)" }
        case "vlan": segmentationID.map { "vlan:\(physicalNetwork ?? ""):\($0)" }
        case "flat": "flat:\(physicalNetwork ?? "")"
        default: nil
        }
    }
}

/// A subnet of a network.
public struct Subnet: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var networkID: String
    public var name: String
    public var ipVersion: Int
    public var cidr: String
    public var gatewayIP: String?
    public var allocationPools: [IPRange]
    public var dnsNameservers: [String]
    public var hostRoutes: [HostRoute]
    public var enableDHCP: Bool
    public var ipv6RAMode: String?
    public var ipv6AddressMode: String?
    public var standard: StandardAttributes

    public init(id: String, projectID: String, networkID: String, name: String, cidr: IPNetwork, createdAt: Date) {
        self.id = id
        self.projectID = projectID
        self.networkID = networkID
        self.name = name
        self.ipVersion = cidr.version
        self.cidr = cidr.description
        self.gatewayIP = nil
        self.allocationPools = []
        self.dnsNameservers = []
        self.hostRoutes = []
        self.enableDHCP = true
        self.standard = StandardAttributes(createdAt: createdAt)
    }

    public var network: IPNetwork? { IPNetwork(cidr: cidr) }
}

public struct HostRoute: Sendable, Codable, Equatable {
    public var destination: String
    public var nexthop: String

    public init(destination: String, nexthop: String) {
        self.destination = destination
        self.nexthop = nexthop
    }
}

/// One address of a port.
public struct FixedIP: Sendable, Codable, Equatable {
    public var subnetID: String
    public var ipAddress: String

    public init(subnetID: String, ipAddress: String) {
        self.subnetID = subnetID
        self.ipAddress = ipAddress
    }
}

/// An address (and optionally MAC) a port may also send from (allowed-address-pairs).
public struct AddressPair: Sendable, Codable, Equatable {
    public var ipAddress: String
    public var macAddress: String

    public init(ipAddress: String, macAddress: String) {
        self.ipAddress = ipAddress
        self.macAddress = macAddress
    }
}

/// A port: a virtual NIC's place on a network, with its addresses and its binding to a host.
public struct NetworkPort: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var networkID: String
    public var name: String
    public var adminStateUp: Bool
    public var macAddress: String
    public var fixedIPs: [FixedIP]
    public var deviceID: String
    public var deviceOwner: String
    /// DOWN until the mechanism driver reports the bound port up, then ACTIVE.
    public var status: String
    public var binding: PortBinding
    /// binding-extended: bindings to other hosts made ahead of a live migration, INACTIVE until activated.
    public var inactiveBindings: [PortBinding]?
    public var securityGroups: [String]
    public var portSecurityEnabled: Bool
    public var allowedAddressPairs: [AddressPair]
    public var standard: StandardAttributes

    public init(id: String, projectID: String, networkID: String, macAddress: String, createdAt: Date) {
        self.id = id
        self.projectID = projectID
        self.networkID = networkID
        self.name = ""
        self.adminStateUp = true
        self.macAddress = macAddress
        self.fixedIPs = []
        self.deviceID = ""
        self.deviceOwner = ""
        self.status = "DOWN"
        self.binding = PortBinding()
        self.securityGroups = []
        self.portSecurityEnabled = true
        self.allowedAddressPairs = []
        self.standard = StandardAttributes(createdAt: createdAt)
    }

    /// Ports Neutron itself owns (router interfaces, gateways, floating IPs, DHCP): no security groups.
    public var isNetworkOwned: Bool { deviceOwner.hasPrefix("network:") }
}

/// The portbindings extension: where a port is plugged and how.
public struct PortBinding: Sendable, Codable, Equatable {
    public var hostID: String
    /// "unbound" until a host is set, then what the mechanism driver chose ("binding_failed" when none could).
    public var vifType: String
    /// The driver's details as JSON text (`{"port_filter": true, ...}`).
    public var vifDetails: String
    public var vnicType: String
    public var profile: [String: String]

    public init() {
        hostID = ""
        vifType = "unbound"
        vifDetails = "{}"
        vnicType = "normal"
        profile = [:]
    }
}

/// A security group: a set of rules applied to the ports that name it.
public struct SecurityGroup: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var name: String
    public var stateful: Bool
    public var standard: StandardAttributes

    public init(id: String, projectID: String, name: String, createdAt: Date) {
        self.id = id
        self.projectID = projectID
        self.name = name
        self.stateful = true
        self.standard = StandardAttributes(createdAt: createdAt)
    }
}

/// One rule of a security group: traffic in one direction that the group lets through.
public struct SecurityGroupRule: Sendable, Codable, Equatable {
    public var id: String
    public var projectID: String
    public var securityGroupID: String
    /// "ingress" or "egress".
    public var direction: String
    /// "IPv4" or "IPv6".
    public var ethertype: String
    public var ipProtocol: String?
    public var portRangeMin: Int?
    public var portRangeMax: Int?
    public var remoteIPPrefix: String?
    public var remoteGroupID: String?
    public var standard: StandardAttributes

    public init(
        id: String, projectID: String, securityGroupID: String, direction: String, ethertype: String,
        createdAt: Date
    ) {
        self.id = id
        self.projectID = projectID
        self.securityGroupID = securityGroupID
        self.direction = direction
        self.ethertype = ethertype
        self.standard = StandardAttributes(createdAt: createdAt)
    }

    /// The remote prefix with its host bits cleared (Neutron's `normalized_cidr`): what the rule lets through.
    /// `remoteIPPrefix` keeps the address as it was given, as Neutron does.
    public var normalizedCIDR: String? { remoteIPPrefix.flatMap { IPNetwork(cidr: $0)?.description } }

    /// Whether two rules let the same traffic through (Neutron's SecurityGroupRuleExists check).
    public func sameTraffic(as other: SecurityGroupRule) -> Bool {
        securityGroupID == other.securityGroupID && direction == other.direction && ethertype == other.ethertype
            && ipProtocol == other.ipProtocol && portRangeMin == other.portRangeMin
            && portRangeMax == other.portRangeMax && normalizedCIDR == other.normalizedCIDR
            && remoteGroupID == other.remoteGroupID
    }
}
