import Foundation

/// The networking service's options (`[ml2]`, `[ml2_type_*]`, `[quotas]` in Neutron's names).
public struct NetworkOptions: Sendable, Equatable {
    /// `[ml2] tenant_network_types`: the type a network gets when its creator names none.
    public var tenantNetworkType = "geneve"
    /// `[ml2] type_drivers`.
    public var typeDrivers = ["geneve", "vxlan", "vlan", "flat", "local"]
    /// `[ml2_type_geneve] vni_ranges` and `[ml2_type_vxlan] vni_ranges`.
    public var geneveRange = 1...65536
    public var vxlanRange = 1...65536
    /// `[ml2_type_vlan] network_vlan_ranges` as physical network -> range of VLAN ids.
    public var vlanRanges: [String: ClosedRange<Int>] = ["physnet1": 1000...2999]
    /// `[ml2_type_flat] flat_networks` ("*": any physical network, Neutron's default).
    public var flatNetworks = ["*"]
    /// `[DEFAULT] global_physnet_mtu` less the overlay's header (Geneve: 58 bytes over 1500 gives 1442).
    public var overlayMTU = 1442
    public var physicalMTU = 1500
    /// `[quotas] quota_*`.
    public var defaultQuotas = NetworkQuota.defaults

    public init() {}

    /// The range a segmentation id of `networkType` is allocated from (`physicalNetwork` for VLANs).
    public func segmentationRange(_ networkType: String, physicalNetwork: String?) -> ClosedRange<Int>? {
        switch networkType {
        case "geneve": geneveRange
        case "vxlan": vxlanRange
        case "vlan": physicalNetwork.flatMap { vlanRanges[$0] }
        default: nil
        }
    }
}

/// Neutron's quota resources and their defaults.
public enum NetworkQuota {
    public static let resources = [
        "network", "subnet", "port", "router", "floatingip", "security_group", "security_group_rule",
    ]
    public static let defaults: [String: Int] = [
        "network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50, "security_group": 10,
        "security_group_rule": 100,
    ]
}

extension SecurityGroup {
    /// The rules Neutron gives a project's `default` group: all egress, and ingress from members of the group.
    public static func defaultRules(groupID: String, projectID: String, createdAt: Date) -> [SecurityGroupRule] {
        var rules: [SecurityGroupRule] = []
        for ethertype in ["IPv4", "IPv6"] {
            rules.append(
                SecurityGroupRule(
                    id: UUID().uuidString.lowercased(), projectID: projectID, securityGroupID: groupID,
                    direction: "egress", ethertype: ethertype, createdAt: createdAt))
            var ingress = SecurityGroupRule(
                id: UUID().uuidString.lowercased(), projectID: projectID, securityGroupID: groupID,
                direction: "ingress", ethertype: ethertype, createdAt: createdAt)
            ingress.remoteGroupID = groupID
            rules.append(ingress)
        }
        return rules
    }

    /// The rules of a new group that is not the default: all egress.
    public static func newGroupRules(groupID: String, projectID: String, createdAt: Date) -> [SecurityGroupRule] {
        ["IPv4", "IPv6"].map { ethertype in
            SecurityGroupRule(
                id: UUID().uuidString.lowercased(), projectID: projectID, securityGroupID: groupID,
                direction: "egress", ethertype: ethertype, createdAt: createdAt)
        }
    }
}
