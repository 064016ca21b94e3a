import NetworkCore

/// The rows the records want for the parts of the topology a change touches, and the rows those parts own
/// (which the sync may remove).
public struct OVNDesiredState: Sendable {
    public var rows: [OVNRow] = []
    public var scope: Set<OVNRowKey> = []

    /// What a change touches: the networks, ports, security groups and routers to write again.
    public struct Parts: Sendable, Equatable {
        public var networks: Set<String> = []
        public var ports: Set<String> = []
        public var securityGroups: Set<String> = []
        public var routers: Set<String> = []
        /// Subnets gone, whose DHCP options go with them.
        public var deletedSubnets: Set<String> = []

        public init() {}

        public init(_ change: ResourceChange) {
            switch change {
            case .created(let resource), .deleted(let resource): add(resource)
            case .updated(let old, let new):
                add(old)
                add(new)
            }
            if case .deleted(.subnet(let subnet)) = change { deletedSubnets.insert(subnet.id) }
        }

        mutating func add(_ resource: NetworkResource) {
            switch resource {
            case .network(let network): networks.insert(network.id)
            case .subnet(let subnet): networks.insert(subnet.networkID)
            case .port(let port):
                ports.insert(port.id)
                // The metadata port's addresses are in its network's DHCP routes.
                if port.deviceOwner == DeviceOwner.distributed { networks.insert(port.networkID) }
                if OVNTopology.isRouterPort(port), !port.deviceID.isEmpty { routers.insert(port.deviceID) }
            case .securityGroup(let group): securityGroups.insert(group.id)
            case .securityGroupRule(let rule): securityGroups.insert(rule.securityGroupID)
            case .router(let router):
                routers.insert(router.id)
                if let gateway = router.gateway { ports.insert(gateway.portID) }
            case .floatingIP(let floating):
                if let router = floating.routerID { routers.insert(router) }
            }
        }
    }

    /// The rows of `parts`, read from `records`.
    public static func build(
        _ parts: Parts, records: any NetworkRecordSource, topology: OVNTopology, gatewayChassis: [String]
    ) async throws -> OVNDesiredState {
        var state = OVNDesiredState()
        // Only the parts a change touches are read (a port's change reads no security group).
        let networks =
            parts.networks.isEmpty ? [] : try await records.networks(ids: Array(parts.networks), visibleTo: nil)
        var subnets =
            parts.networks.isEmpty ? [] : try await records.subnets(ids: nil, networkIDs: Array(parts.networks))
        let networkPorts =
            parts.networks.isEmpty
            ? []
            : try await records.ports(ids: nil, networkIDs: Array(parts.networks), deviceIDs: nil, projectID: nil)
        for network in networks {
            state.rows += topology.networkRows(
                network, subnets: subnets.filter { $0.networkID == network.id },
                metadataPort: metadataPort(of: network.id, in: networkPorts))
        }
        for id in parts.networks {
            state.scope.insert(OVNTopology.switchKey(id))
            state.scope.insert(OVNRowKey("Logical_Switch_Port", OVNNames.localnetPort(id)))
        }
        for subnet in subnets { state.scope.insert(OVNNames.dhcpOptions(subnet.id)) }
        for id in parts.deletedSubnets { state.scope.insert(OVNNames.dhcpOptions(id)) }
        // A subnet's DHCP changes the ports with an address on it.
        var portIDs = parts.ports
        if !parts.networks.isEmpty {
            let changed = Set(subnets.map(\.id)).union(parts.deletedSubnets)
            for port in networkPorts where port.fixedIPs.contains(where: { changed.contains($0.subnetID) }) {
                portIDs.insert(port.id)
            }
        }
        let ports =
            portIDs.isEmpty
            ? [] : try await records.ports(ids: Array(portIDs), networkIDs: nil, deviceIDs: nil, projectID: nil)
        let portNetworks = Set(ports.map(\.networkID)).subtracting(parts.networks)
        var more: [Network] = []
        if !portNetworks.isEmpty {
            more = try await records.networks(ids: Array(portNetworks), visibleTo: nil)
            subnets += try await records.subnets(ids: nil, networkIDs: Array(portNetworks))
        }
        let subnetsByID = Dictionary(subnets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let networksByID = Dictionary((networks + more).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for port in ports {
            guard let network = networksByID[port.networkID] else { continue }
            if let row = topology.portRow(port, network: network, subnets: subnetsByID) { state.rows.append(row) }
        }
        for id in portIDs { state.scope.insert(OVNRowKey("Logical_Switch_Port", id)) }

        if !parts.securityGroups.isEmpty {
            let groups = try await records.securityGroups(ids: Array(parts.securityGroups), projectID: nil)
            let rules = try await records.securityGroupRules(groupIDs: Array(parts.securityGroups), ids: nil)
            for group in groups { state.rows += topology.securityGroupRows(group, rules: rules) }
        }
        for id in parts.securityGroups { state.scope.insert(OVNRowKey("Port_Group", OVNNames.portGroup(id))) }

        if !parts.routers.isEmpty {
            state.rows += try await routerRows(
                Array(parts.routers), records: records, topology: topology, gatewayChassis: gatewayChassis)
            for id in parts.routers { state.scope.insert(OVNTopology.routerKey(id)) }
        }
        return state
    }

    /// Every row the records want (for the drift repair, whose scope is everything the driver manages).
    public static func everything(records: any NetworkRecordSource, topology: OVNTopology, gatewayChassis: [String])
        async throws -> [OVNRow]
    {
        let networks = try await records.networks(ids: nil, visibleTo: nil)
        let subnets = try await records.subnets(ids: nil, networkIDs: nil)
        var rows: [OVNRow] = topology.dropGroupRows()
        let ports = try await records.ports(ids: nil, networkIDs: nil, deviceIDs: nil, projectID: nil)
        let metadataPorts = Dictionary(
            ports.filter { $0.deviceOwner == DeviceOwner.distributed }.map { ($0.networkID, $0) },
            uniquingKeysWith: { first, _ in first })
        for network in networks {
            rows += topology.networkRows(
                network, subnets: subnets.filter { $0.networkID == network.id }, metadataPort: metadataPorts[network.id]
            )
        }
        let groups = try await records.securityGroups(ids: nil, projectID: nil)
        let rules = try await records.securityGroupRules(groupIDs: nil, ids: nil)
        let rulesByGroup = Dictionary(grouping: rules, by: \.securityGroupID)
        for group in groups { rows += topology.securityGroupRows(group, rules: rulesByGroup[group.id] ?? []) }
        let subnetsByID = Dictionary(subnets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let networksByID = Dictionary(networks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for port in ports {
            guard let network = networksByID[port.networkID] else { continue }
            if let row = topology.portRow(port, network: network, subnets: subnetsByID) { rows.append(row) }
        }
        let routers = try await records.routers(ids: nil, projectID: nil)
        rows += try await routerRows(
            routers.map(\.id), records: records, topology: topology, gatewayChassis: gatewayChassis)
        return rows
    }

    static func metadataPort(of networkID: String, in ports: [NetworkPort]) -> NetworkPort? {
        ports.first { $0.networkID == networkID && $0.deviceOwner == DeviceOwner.distributed }
    }

    static func routerRows(
        _ ids: [String], records: any NetworkRecordSource, topology: OVNTopology, gatewayChassis: [String]
    ) async throws -> [OVNRow] {
        let routers = try await records.routers(ids: ids, projectID: nil)
        guard !routers.isEmpty else { return [] }
        let gatewayPorts = routers.compactMap { $0.gateway?.portID }
        let interfaces = try await records.ports(ids: nil, networkIDs: nil, deviceIDs: ids, projectID: nil)
        let gateways = try await records.ports(ids: gatewayPorts, networkIDs: nil, deviceIDs: nil, projectID: nil)
        let all = interfaces.filter { $0.deviceOwner == DeviceOwner.routerInterface } + gateways
        let subnetIDs = Set(all.flatMap { $0.fixedIPs.map(\.subnetID) })
        let subnets = try await records.subnets(ids: Array(subnetIDs), networkIDs: nil)
        let subnetsByID = Dictionary(subnets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let floating = try await records.floatingIPs(ids: nil, projectID: nil, portIDs: nil)
            .filter { $0.routerID.map(ids.contains) == true }
        return routers.flatMap { router in
            topology.routerRows(
                OVNRouterRecords(
                    router: router,
                    ports: all.filter { $0.deviceID == router.id || $0.id == router.gateway?.portID },
                    subnets: subnetsByID, floatingIPs: floating, gatewayChassis: gatewayChassis))
        }
    }
}
