import Foundation
import IdentityService
import NetworkCore
import NovaCore
import NovaDB

/// What devstack makes on a new cloud: a `public` external network (flat, physical network `public`) with
/// 172.24.4.0/24, the demo project's `private` network with `[DEFAULT] fixed_range`, and the demo project's
/// `router1` between them. Done once; each part is looked up by name first, so a start interrupted half-way
/// finishes the rest.
struct NetworkBootstrap {
    let identity: IdentityStore
    let store: NetworkStore
    let privateRange: IPv4Network
    let clock: any WallClock

    func run() async throws {
        guard try await !store.isBootstrapped() else { return }
        guard let admin = try await identity.projects(name: "admin").first,
            let demo = try await identity.projects(name: "demo").first
        else { return }
        let existing = try await store.networks()
        if !existing.contains(where: { $0.name == "public" }) {
            var network = Network(
                id: UUID().uuidString.lowercased(), projectID: admin.id, name: "public",
                segment: Segment(networkType: "flat", physicalNetwork: "public"), mtu: store.options.physicalMTU,
                createdAt: clock.now)
            network.external = true
            network = try await store.createNetwork(network)
            try await addSubnet("public-subnet", cidr: "172.24.4.0/24", to: network)
        }
        if !existing.contains(where: { $0.name == "private" && $0.projectID == demo.id }) {
            let network = try await store.createNetwork(
                Network(
                    id: UUID().uuidString.lowercased(), projectID: demo.id, name: "private",
                    segment: Segment(networkType: store.options.tenantNetworkType), mtu: store.options.overlayMTU,
                    createdAt: clock.now))
            try await addSubnet("private-subnet", cidr: privateRange.description, to: network)
        }
        let networks = try await store.networks()
        if let publicNetwork = networks.first(where: { $0.name == "public" }),
            let privateNetwork = networks.first(where: { $0.name == "private" && $0.projectID == demo.id }),
            try await store.routers(projectID: demo.id).isEmpty
        {
            let router = try await store.createRouter(
                NetworkRouter(
                    id: UUID().uuidString.lowercased(), projectID: demo.id, name: "router1", createdAt: clock.now),
                gateway: GatewayRequest(networkID: publicNetwork.id))
            if let subnet = try await store.subnets(networkIDs: [privateNetwork.id]).first {
                _ = try await store.addRouterInterface(routerID: router.id, subnetID: subnet.id, portID: nil)
            }
        }
        try await store.markBootstrapped(at: clock.now)
    }

    func addSubnet(_ name: String, cidr: String, to network: Network) async throws {
        guard let range = IPNetwork(cidr: cidr) else { return }
        var subnet = Subnet(
            id: UUID().uuidString.lowercased(), projectID: network.projectID, networkID: network.id, name: name,
            cidr: range, createdAt: clock.now)
        let gateway = AddressAllocator.defaultGateway(range)
        subnet.gatewayIP = gateway?.description
        subnet.allocationPools = AddressAllocator.defaultPools(range, gateway: gateway)
        _ = try await store.createSubnet(subnet)
    }
}
