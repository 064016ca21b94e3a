import NetworkCore
import OVSDB

extension OVNTopology {
    /// ML2/OVN's priorities: a rule's allow above the drop every port with port security gets.
    static let allowPriority: Int64 = 1002
    static let dropPriority: Int64 = 1001

    /// The port group of a security group, with an ACL per rule.
    public func securityGroupRows(_ group: SecurityGroup, rules: [SecurityGroupRule]) -> [OVNRow] {
        let name = OVNNames.portGroup(group.id)
        let key = OVNRowKey("Port_Group", name)
        var rows = [
            OVNRow(
                "Port_Group",
                ["name": .string(name), "external_ids": .map(["neutron:security_group_id": group.id])])
        ]
        for rule in rules where rule.securityGroupID == group.id {
            rows.append(
                OVNRow(
                    "ACL",
                    [
                        "direction": .string(rule.direction == "ingress" ? "to-lport" : "from-lport"),
                        "priority": .integer(Self.allowPriority),
                        "action": .string(group.stateful ? "allow-related" : "allow-stateless"),
                        "match": .string(Self.match(rule, portGroup: name)), "log": false, "name": .set([]),
                        "severity": .set([]),
                        "external_ids": .map(["neutron:security_group_rule_id": rule.id]),
                    ], in: [OVNMembership(key, "acls")]))
        }
        return rows
    }

    /// `neutron_pg_drop`: every port with port security is in it, and IP traffic a rule does not allow is
    /// dropped both ways.
    public func dropGroupRows() -> [OVNRow] {
        let key = OVNRowKey("Port_Group", OVNNames.dropGroup)
        var rows = [OVNRow("Port_Group", ["name": .string(OVNNames.dropGroup), "external_ids": .map([:])])]
        for (direction, port) in [("to-lport", "outport"), ("from-lport", "inport")] {
            rows.append(
                OVNRow(
                    "ACL",
                    [
                        "direction": .string(direction), "priority": .integer(Self.dropPriority), "action": "drop",
                        "match": .string("\(port) == @\(OVNNames.dropGroup) && ip"), "log": false,
                        "name": .set([]), "severity": .set([]), "external_ids": .map([:]),
                    ], in: [OVNMembership(key, "acls")]))
        }
        return rows
    }

    /// The OVN match of a rule in the port group `portGroup`: ingress rules match packets to the group's
    /// ports, egress rules packets from them; the remote is a prefix or another group's address set.
    public static func match(_ rule: SecurityGroupRule, portGroup: String) -> String {
        let ingress = rule.direction == "ingress"
        let ip = rule.ethertype == "IPv6" ? "ip6" : "ip4"
        var parts = [(ingress ? "outport" : "inport") + " == @" + portGroup, ip]
        let remote = ip + (ingress ? ".src" : ".dst")
        if let prefix = rule.normalizedCIDR { parts.append("\(remote) == \(prefix)") }
        if let group = rule.remoteGroupID { parts.append("\(remote) == $\(OVNNames.portGroup(group))_\(ip)") }
        guard let number = rule.ipProtocol.flatMap(IPProtocolNumbers.number) else {
            return parts.joined(separator: " && ")
        }
        switch number {
        case 6, 17, 132:
            let layer = number == 6 ? "tcp" : number == 17 ? "udp" : "sctp"
            parts.append(layer)
            if let low = rule.portRangeMin {
                let high = rule.portRangeMax ?? low
                parts.append(
                    low == high ? "\(layer).dst == \(low)" : "\(layer).dst >= \(low) && \(layer).dst <= \(high)")
            }
        case 1, 58:
            let layer = ip == "ip6" ? "icmp6" : "icmp4"
            parts.append(layer)
            if let type = rule.portRangeMin { parts.append("\(layer).type == \(type)") }
            if let code = rule.portRangeMax { parts.append("\(layer).code == \(code)") }
        default:
            parts.append("ip.proto == \(number)")
        }
        return parts.joined(separator: " && ")
    }
}
