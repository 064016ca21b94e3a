import NetworkCore
import OVSDB

/// What a router's rows are made from.
public struct OVNRouterRecords: Sendable {
    public var router: NetworkRouter
    /// Its interface ports and its gateway port.
    public var ports: [NetworkPort]
    public var subnets: [String: Subnet]
    /// Floating IPs mapped through it.
    public var floatingIPs: [FloatingIP]
    /// Chassis that may carry its gateway, most preferred first.
    public var gatewayChassis: [String]

    public init(
        router: NetworkRouter, ports: [NetworkPort], subnets: [String: Subnet], floatingIPs: [FloatingIP],
        gatewayChassis: [String]
    ) {
        self.router = router
        self.ports = ports
        self.subnets = subnets
        self.floatingIPs = floatingIPs
        self.gatewayChassis = gatewayChassis
    }
}

extension OVNTopology {
    /// A router: a router port per interface and for its gateway (scheduled on the gateway chassis), the
    /// default route through the external subnet's gateway, SNAT for the subnets behind it and a
    /// `dnat_and_snat` per floating IP.
    public func routerRows(_ records: OVNRouterRecords) -> [OVNRow] {
        let router = records.router
        let key = Self.routerKey(router.id)
        let gatewayID = router.gateway?.portID
        var rows = [
            OVNRow(
                "Logical_Router",
                [
                    "name": .string(key.name), "enabled": .bool(router.adminStateUp),
                    "external_ids": .map([
                        "neutron:router_name": router.name, "neutron:gw_port_id": gatewayID ?? "",
                        "neutron:revision_number": String(router.standard.revisionNumber),
                    ]),
                    "options": .map(["always_learn_from_arp_request": "false", "dynamic_neigh_routers": "true"]),
                ])
        ]
        var internalCIDRs: [String] = []
        var gatewayAddress: String?
        for port in records.ports {
            let gateway = port.id == gatewayID
            let networks = port.fixedIPs.compactMap { fixed in
                records.subnets[fixed.subnetID]?.network.map { "\(fixed.ipAddress)/\($0.prefixLength)" }
            }
            let name = OVNNames.routerPort(port.id)
            var ids = [
                "neutron:network_name": OVNNames.logicalSwitch(port.networkID), "neutron:router_name": router.id,
                "neutron:subnet_ids": port.fixedIPs.map(\.subnetID).joined(separator: " "),
                "neutron:revision_number": String(port.standard.revisionNumber),
            ]
            if gateway { ids["neutron:is_ext_gw"] = "True" }
            rows.append(
                OVNRow(
                    "Logical_Router_Port",
                    [
                        "name": .string(name), "mac": .string(port.macAddress), "networks": Self.strings(networks),
                        "enabled": true, "external_ids": .map(ids),
                    ], in: [OVNMembership(key, "ports")]))
            if gateway {
                rows += gatewayRows(port, routerKey: key, records: records)
                gatewayAddress = port.fixedIPs.first { IPAddress($0.ipAddress)?.version == 4 }?.ipAddress
            } else {
                internalCIDRs += port.fixedIPs.compactMap { records.subnets[$0.subnetID] }
                    .filter { $0.ipVersion == 4 }.map(\.cidr)
            }
        }
        guard let gatewayAddress else { return rows }
        if router.gateway?.enableSNAT == true {
            for cidr in Set(internalCIDRs).sorted() {
                rows.append(nat("snat", logical: cidr, external: gatewayAddress, ids: [:], router: key))
            }
        }
        for floating in records.floatingIPs where floating.routerID == router.id {
            guard let fixed = floating.fixedIPAddress, let port = floating.portID else { continue }
            rows.append(
                nat(
                    "dnat_and_snat", logical: fixed, external: floating.floatingIPAddress,
                    ids: [
                        "neutron:fip_id": floating.id, "neutron:fip_port_id": port,
                        "neutron:fip_network_id": floating.floatingNetworkID, "neutron:router_name": key.name,
                        "neutron:revision_number": String(floating.standard.revisionNumber),
                    ], router: key))
        }
        return rows
    }

    /// The gateway port's chassis (priority highest first) and the default route out.
    func gatewayRows(_ port: NetworkPort, routerKey: OVNRowKey, records: OVNRouterRecords) -> [OVNRow] {
        let name = OVNNames.routerPort(port.id)
        let portKey = OVNRowKey("Logical_Router_Port", name)
        var rows: [OVNRow] = []
        for (index, chassis) in records.gatewayChassis.enumerated() {
            rows.append(
                OVNRow(
                    "Gateway_Chassis",
                    [
                        "name": .string("\(name)_\(chassis)"), "chassis_name": .string(chassis),
                        "priority": .integer(Int64(records.gatewayChassis.count - index)),
                    ], in: [OVNMembership(portKey, "gateway_chassis")]))
        }
        for fixed in port.fixedIPs {
            guard let subnet = records.subnets[fixed.subnetID], let nexthop = subnet.gatewayIP else { continue }
            rows.append(
                OVNRow(
                    "Logical_Router_Static_Route",
                    [
                        "ip_prefix": .string(subnet.ipVersion == 4 ? "0.0.0.0/0" : "::/0"),
                        "nexthop": .string(nexthop),
                        "external_ids": .map(["neutron:is_ext_gw": "true", "neutron:subnet_id": subnet.id]),
                    ], in: [OVNMembership(routerKey, "static_routes")]))
        }
        return rows
    }

    func nat(_ type: String, logical: String, external: String, ids: [String: String], router: OVNRowKey)
        -> OVNRow
    {
        OVNRow(
            "NAT",
            [
                "type": .string(type), "logical_ip": .string(logical), "external_ip": .string(external),
                "external_ids": .map(ids),
            ], in: [OVNMembership(router, "nat")])
    }
}
