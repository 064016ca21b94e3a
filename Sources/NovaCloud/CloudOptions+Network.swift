import NetworkCore
import NovaConfig

extension CloudOptions {
    /// `[ml2]`, `[ml2_type_geneve|vxlan|vlan|flat]`, `[DEFAULT] global_physnet_mtu` and `[quotas]`, with
    /// Neutron's names; `[neutron] endpoint_override` is where the other services reach the networking API.
    mutating func readNetwork(_ config: NovaConfig) throws {
        mechanismDrivers = config.list("ml2", "mechanism_drivers", default: mechanismDrivers)
        for driver in mechanismDrivers where driver != "noop" {
            throw ConfigError(message: "[ml2] mechanism_drivers = \(driver): the drivers available are: noop")
        }
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
