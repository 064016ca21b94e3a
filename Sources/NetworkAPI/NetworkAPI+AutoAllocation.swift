import APISupport
import Foundation
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    static let autoAllocatedName = "auto_allocated_network"

    func registerAutoAllocation(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("auto-allocated-topology/{project}") { _, context in
            let caller = try context.caller()
            let project = context.parameter("project")
            guard caller.isAdmin || project == caller.projectID else {
                throw NovaError.policy("rule:get_auto_allocated_topology")
            }
            let network = try await autoAllocatedNetwork(project: project)
            return Response.json([
                "auto_allocated_topology": [
                    "id": .string(network.id), "tenant_id": .string(project), "project_id": .string(project),
                ]
            ])
        }
    }

    /// get-me-a-network (Neutron's auto-allocated topology): the project's `auto_allocated_network`, made on
    /// first use with a subnet and a router whose gateway is on the first external network.
    func autoAllocatedNetwork(project: String) async throws -> Network {
        let own = try await store.networks(visibleTo: project)
        if let existing = own.first(where: { $0.projectID == project && $0.name == Self.autoAllocatedName }) {
            return existing
        }
        guard let external = own.first(where: \.external) else {
            throw NovaError(
                NovaError.Code(status: 409, name: "AutoAllocationFailure"),
                "Deployment error: no external network is available for the auto-allocated topology.")
        }
        let now = clock.now
        let segment = Segment(networkType: options.tenantNetworkType)
        var network = Network(
            id: newID(), projectID: project, name: Self.autoAllocatedName, segment: segment,
            mtu: maximumMTU(segment.networkType), createdAt: now)
        network = try await store.createNetwork(network)
        try await notify(.created(.network(network)))
        let range = IPNetwork(cidr: "10.1.0.0/24")!
        var subnet = Subnet(
            id: newID(), projectID: project, networkID: network.id, name: "auto_allocated_subnet_v4", cidr: range,
            createdAt: now)
        subnet.gatewayIP = AddressAllocator.defaultGateway(range)?.description
        subnet.allocationPools = AddressAllocator.defaultPools(range, gateway: AddressAllocator.defaultGateway(range))
        subnet = try await store.createSubnet(subnet)
        try await notify(.created(.subnet(subnet)))
        await subnetChanged(network: subnet.networkID)
        let router = try await store.createRouter(
            NetworkRouter(id: newID(), projectID: project, name: "auto_allocated_router", createdAt: now),
            gateway: GatewayRequest(networkID: external.id))
        try await notify(.created(.router(router)))
        let interface = try await store.addRouterInterface(routerID: router.id, subnetID: subnet.id, portID: nil)
        try await notify(.created(.port(interface)))
        return network
    }
}
