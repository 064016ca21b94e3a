import NetworkCore
import OVSDB

extension OVNTopology {
    /// Ports ML2/OVN keeps out of the northbound database: a floating IP's port is an address, not a NIC.
    public static func isIgnored(_ port: NetworkPort) -> Bool { port.deviceOwner == DeviceOwner.floatingIP }

    static func isRouterPort(_ port: NetworkPort) -> Bool {
        [DeviceOwner.routerInterface, DeviceOwner.routerGateway].contains(port.deviceOwner)
    }

    /// The port's logical switch port: its addresses and port security, the chassis it is bound to, the
    /// DHCP options of its first IPv4 subnet with DHCP, and (with port security) its security groups' port
    /// groups and the drop group. A router's port is a `router` port patched to its router port.
    public func portRow(_ port: NetworkPort, network: Network, subnets: [String: Subnet]) -> OVNRow? {
        guard !Self.isIgnored(port) else { return nil }
        let addresses = ([port.macAddress] + port.fixedIPs.map(\.ipAddress)).joined(separator: " ")
        let router = Self.isRouterPort(port)
        // The network's metadata port is a `localport`: on every chassis at once, answered by the metadata
        // agent's namespace there, in no security group.
        let local = port.deviceOwner == DeviceOwner.distributed
        let secured = port.portSecurityEnabled && !router && !local
        var security = secured ? [addresses] : []
        if secured { security += port.allowedAddressPairs.map { "\($0.macAddress) \($0.ipAddress)" } }
        let cidrs = port.fixedIPs.compactMap { fixed in
            subnets[fixed.subnetID]?.network.map { "\(fixed.ipAddress)/\($0.prefixLength)" }
        }
        var options: [String: String] = [:]
        if router {
            options["router-port"] = OVNNames.routerPort(port.id)
            if port.deviceOwner == DeviceOwner.routerGateway { options["nat-addresses"] = "router" }
        } else if !local {
            options["mcast_flood_reports"] = "true"
            // A port in a live migration (an inactive binding on the destination) is bound to both hosts, the
            // destination's location blocked until the guest's RARP announces it there, as ML2/OVN does.
            if !port.binding.hostID.isEmpty {
                var chassis = [port.binding.hostID]
                for binding in port.inactiveBindings ?? [] where !chassis.contains(binding.hostID) {
                    if !binding.hostID.isEmpty { chassis.append(binding.hostID) }
                }
                options["requested-chassis"] = chassis.joined(separator: ",")
                if chassis.count > 1 { options["activation-strategy"] = "rarp" }
            }
        }
        let dhcp =
            router || local
            ? nil
            : port.fixedIPs.lazy.compactMap { subnets[$0.subnetID] }
                .first { $0.ipVersion == 4 && $0.enableDHCP }
        var memberships = [OVNMembership(Self.switchKey(port.networkID), "ports")]
        if secured {
            memberships += port.securityGroups.map {
                OVNMembership(OVNRowKey("Port_Group", OVNNames.portGroup($0)), "ports")
            }
            memberships.append(OVNMembership(OVNRowKey("Port_Group", OVNNames.dropGroup), "ports"))
        }
        return OVNRow(
            "Logical_Switch_Port",
            [
                "name": .string(port.id), "type": .string(router ? "router" : local ? "localport" : ""),
                "addresses": Self.strings(
                    router ? ["router"] : [addresses] + (port.portSecurityEnabled || local ? [] : ["unknown"])),
                "port_security": Self.strings(security), "enabled": .bool(port.adminStateUp),
                "options": .map(options),
                "external_ids": .map([
                    "neutron:cidrs": cidrs.joined(separator: " "), "neutron:device_id": port.deviceID,
                    "neutron:device_owner": port.deviceOwner,
                    "neutron:network_name": OVNNames.logicalSwitch(network.id), "neutron:port_name": port.name,
                    "neutron:project_id": port.projectID, "neutron:host_id": port.binding.hostID,
                    "neutron:revision_number": String(port.standard.revisionNumber),
                    "neutron:security_group_ids": secured ? port.securityGroups.joined(separator: " ") : "",
                ]),
            ], references: ["dhcpv4_options": dhcp.map { [OVNNames.dhcpOptions($0.id)] } ?? []], in: memberships)
    }
}
