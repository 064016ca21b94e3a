import NetworkCore
import OVSDB

/// `[ovn]` settings the northbound rows depend on.
public struct OVNTopologyOptions: Sendable, Equatable {
    /// `[ovn] dns_servers`: for subnets that name none.
    public var dnsServers: [String] = []
    /// `[ovn] dhcp_default_lease_time`, seconds.
    public var leaseTime = 43200

    public init() {}
}

/// The northbound rows ML2/OVN writes for the networking records: pure functions, records in, rows out.
public struct OVNTopology: Sendable {
    public var options: OVNTopologyOptions

    public init(options: OVNTopologyOptions = OVNTopologyOptions()) {
        self.options = options
    }

    static func switchKey(_ networkID: String) -> OVNRowKey {
        OVNRowKey("Logical_Switch", OVNNames.logicalSwitch(networkID))
    }

    static func routerKey(_ routerID: String) -> OVNRowKey {
        OVNRowKey("Logical_Router", OVNNames.logicalRouter(routerID))
    }

    /// Where guests find the metadata service.
    public static let metadataAddress = "169.254.169.254"

    static func strings(_ values: [String]) -> OVSDBValue { .set(values.map(OVSDBValue.string)) }

    // MARK: Networks

    /// The network's logical switch, its `localnet` port when it is on a physical network, and the DHCP
    /// options of its IPv4 subnets that have DHCP (with the route to 169.254.169.254 through the addresses
    /// of `metadataPort`, the network's `network:distributed` port, when it has one).
    public func networkRows(_ network: Network, subnets: [Subnet], metadataPort: NetworkPort? = nil) -> [OVNRow] {
        var rows = [
            OVNRow(
                "Logical_Switch",
                [
                    "name": .string(OVNNames.logicalSwitch(network.id)),
                    "external_ids": .map([
                        "neutron:network_name": network.name, "neutron:mtu": String(network.mtu),
                        "neutron:revision_number": String(network.standard.revisionNumber),
                        "neutron:availability_zone_hints": network.availabilityZoneHints.joined(separator: ","),
                    ]),
                    "other_config": .map(["mcast_snoop": "false", "mcast_flood_unregistered": "false"]),
                ])
        ]
        if let physnet = network.segment.physicalNetwork, ["flat", "vlan"].contains(network.segment.networkType) {
            let tag = network.segment.networkType == "vlan" ? network.segment.segmentationID : nil
            rows.append(
                OVNRow(
                    "Logical_Switch_Port",
                    [
                        "name": .string(OVNNames.localnetPort(network.id)), "type": "localnet",
                        "addresses": Self.strings(["unknown"]),
                        "options": .map([
                            "network_name": physnet, "mcast_flood": "false", "mcast_flood_reports": "true",
                        ]),
                        "tag": .set(tag.map { [.integer(Int64($0))] } ?? []),
                        "external_ids": .map(["neutron:network_name": OVNNames.logicalSwitch(network.id)]),
                    ], in: [OVNMembership(Self.switchKey(network.id), "ports")]))
        }
        rows += subnets.compactMap { subnet in
            let metadataIP = metadataPort?.fixedIPs.first { $0.subnetID == subnet.id }?.ipAddress
            return dhcpRow(subnet, network: network, metadataIP: metadataIP)
        }
        return rows
    }

    /// OVN's native DHCP for an IPv4 subnet (nil without DHCP): the router, DNS, MTU and lease, and the
    /// classless routes (the metadata address through `metadataIP`, the subnet's host routes and the default
    /// route, which option 121 would otherwise hide). Neutron draws the server's MAC at random and keeps it;
    /// deriving it from the subnet lets the drift repair rebuild the same row.
    public func dhcpRow(_ subnet: Subnet, network: Network, metadataIP: String? = nil) -> OVNRow? {
        guard subnet.ipVersion == 4, subnet.enableDHCP, let cidr = subnet.network else { return nil }
        let server = subnet.gatewayIP ?? IPAddress(version: 4, value: cidr.base + 1).description
        var options: [String: String] = [
            "server_id": server, "server_mac": MACAddress.derived(from: subnet.id),
            "lease_time": String(options.leaseTime),
            "mtu": String(network.mtu), "domain_name": "\"openstacklocal\"",
        ]
        let dns = subnet.dnsNameservers.isEmpty ? self.options.dnsServers : subnet.dnsNameservers
        if !dns.isEmpty { options["dns_server"] = "{" + dns.joined(separator: ", ") + "}" }
        var routes = metadataIP.map { ["\(Self.metadataAddress)/32,\($0)"] } ?? []
        routes += subnet.hostRoutes.map { "\($0.destination),\($0.nexthop)" }
        if let gateway = subnet.gatewayIP {
            options["router"] = gateway
            routes.append("0.0.0.0/0,\(gateway)")
        }
        if !subnet.hostRoutes.isEmpty || metadataIP != nil {
            options["classless_static_route"] = "{" + routes.joined(separator: ", ") + "}"
        }
        return OVNRow(
            "DHCP_Options",
            [
                "cidr": .string(subnet.cidr), "options": .map(options),
                "external_ids": .map([
                    "subnet_id": subnet.id, "neutron:revision_number": String(subnet.standard.revisionNumber),
                ]),
            ])
    }
}
