import NetworkCore
import NetworkOVN
import NovaConfig

extension CloudOptions {
    /// `[ml2]`, `[ml2_type_geneve|vxlan|vlan|flat]`, `[DEFAULT] global_physnet_mtu` and `[quotas]`, with
    /// Neutron's names; `[neutron] endpoint_override` is where the other services reach the networking API.
    mutating func readNetwork(_ config: NovaConfig) throws {
        mechanismDrivers = config.list("ml2", "mechanism_drivers", default: mechanismDrivers)
        guard mechanismDrivers.count == 1, ["noop", "ovn"].contains(mechanismDrivers[0]) else {
            throw ConfigError(
                message: "[ml2] mechanism_drivers = \(mechanismDrivers.joined(separator: ",")): one of noop, ovn")
        }
        ovn.northbound = config["ovn", "ovn_nb_connection"] ?? ovn.northbound
        ovn.southbound = config["ovn", "ovn_sb_connection"] ?? ovn.southbound
        if ovn.southbound?.isEmpty == true { ovn.southbound = nil }
        for remote in [ovn.northbound] + (ovn.southbound.map { [$0] } ?? []) {
            guard remote.hasPrefix("unix:") || remote.hasPrefix("tcp:") else {
                throw ConfigError(message: "[ovn] \(remote) is not unix:PATH or tcp:HOST:PORT")
            }
        }
        ovn.topology.dnsServers = config.list("ovn", "dns_servers", default: ovn.topology.dnsServers)
        ovn.topology.leaseTime = try config.int("ovn", "dhcp_default_lease_time", default: ovn.topology.leaseTime)
        let repair = try config.int("ovn", "maintenance_interval", default: 300)
        guard repair >= 1 else { throw ConfigError(message: "[ovn] maintenance_interval must be at least 1") }
        ovn.repairInterval = .seconds(repair)
        ovn.metadataEnabled = try config.bool("ovn", "ovn_metadata_enabled", default: ovn.metadataEnabled)
        network.typeDrivers = config.list("ml2", "type_drivers", default: network.typeDrivers)
        network.tenantNetworkType =
            config.list("ml2", "tenant_network_types", default: [network.tenantNetworkType]).first
            ?? network.tenantNetworkType
        guard network.typeDrivers.contains(network.tenantNetworkType) else {
            throw ConfigError(
                message: "[ml2] tenant_network_types = \(network.tenantNetworkType) is not in [ml2] type_drivers")
        }
        network.geneveRange = try Self.range(config, "ml2_type_geneve", "vni_ranges", default: network.geneveRange)
        network.vxlanRange = try Self.range(config, "ml2_type_vxlan", "vni_ranges", default: network.vxlanRange)
        if config["ml2_type_vlan", "network_vlan_ranges"] != nil {
            network.vlanRanges = [:]
            for entry in config.list("ml2_type_vlan", "network_vlan_ranges", default: []) {
                let parts = entry.split(separator: ":").map(String.init)
                guard parts.count == 3, let low = Int(parts[1]), let high = Int(parts[2]), 1 <= low, low <= high,
                    high <= 4094
                else {
                    throw ConfigError(message: "[ml2_type_vlan] network_vlan_ranges: \(entry) is not physnet:low:high")
                }
                network.vlanRanges[parts[0]] = low...high
            }
        }
        network.flatNetworks = config.list("ml2_type_flat", "flat_networks", default: network.flatNetworks)
        network.physicalMTU = try config.int("DEFAULT", "global_physnet_mtu", default: network.physicalMTU)
        network.overlayMTU = network.physicalMTU - 58
        for resource in NetworkQuota.resources {
            network.defaultQuotas[resource] = try config.int(
                "quotas", "quota_" + resource, default: network.defaultQuotas[resource] ?? -1)
        }
        scaleOut.networkURL = config["neutron", "endpoint_override"]
    }

    static func range(_ config: NovaConfig, _ section: String, _ key: String, default value: ClosedRange<Int>) throws
        -> ClosedRange<Int>
    {
        guard let text = config[section, key] else { return value }
        let parts = text.split(separator: ":").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], 1 <= low, low <= high, high <= 16_777_215
        else { throw ConfigError(message: "[\(section)] \(key) = \(text) is not low:high") }
        return low...high
    }
}
