import APISupport
import Foundation
import HTTPTypes
import NetworkCore
import NovaCore
import NovaDB

/// Nova's calls to the networking service when both run in one process: the same handlers and rules as the
/// HTTP API, with the compute service's credentials.
public struct LocalNetworkClient: NetworkClient {
    let api: NetworkAPI
    let caller = NetworkUser.service.credentials

    let routes: InProcessRoutes

    public init(api: NetworkAPI) {
        self.api = api
        routes = InProcessRoutes(base: "/\(NetworkAPI.prefix)/v2.0") { api.register(on: $0) }
    }

    public func networks(ids: [String]?, project: String?) async throws -> [NetworkSummary] {
        let networks: [Network]
        if let ids {
            networks = try await api.store.networks(ids: ids, visibleTo: project)
        } else {
            networks = try await api.store.networks(visibleTo: project).filter {
                !$0.external && ($0.projectID == project || $0.shared || project == nil)
            }
        }
        let withSubnets = Set(try await api.store.subnets(networkIDs: networks.map(\.id)).map(\.networkID))
        return networks.map { Self.summary($0, hasSubnets: withSubnets.contains($0.id)) }
    }

    static func summary(_ network: Network, hasSubnets: Bool) -> NetworkSummary {
        NetworkSummary(
            id: network.id, name: network.name, projectID: network.projectID, shared: network.shared,
            external: network.external, hasSubnets: hasSubnets)
    }

    public func autoAllocatedNetwork(project: String) async throws -> NetworkSummary {
        let network = try await api.autoAllocatedNetwork(project: project)
        return Self.summary(network, hasSubnets: true)
    }

    static func summary(_ port: NetworkPort) -> PortSummary {
        PortSummary(
            id: port.id, networkID: port.networkID, projectID: port.projectID, macAddress: port.macAddress,
            fixedIPs: port.fixedIPs.map { PortFixedIP(subnetID: $0.subnetID, address: $0.ipAddress) },
            deviceID: port.deviceID, deviceOwner: port.deviceOwner, status: port.status,
            bindingHost: port.binding.hostID, securityGroups: port.securityGroups, vifType: port.binding.vifType,
            vifDetails: PortSummary.vifDetails(JSON.parse(Array(port.binding.vifDetails.utf8))))
    }

    public func port(id: String) async throws -> PortSummary? {
        try await api.store.port(id: id).map(Self.summary)
    }

    public func ports(deviceID: String) async throws -> [PortSummary] {
        try await api.store.ports(deviceIDs: [deviceID]).map(Self.summary)
    }

    public func createPort(
        networkID: String, project: String, fixedIP: String?, securityGroups: [String]?, deviceID: String,
        deviceOwner: String, host: String
    ) async throws -> PortSummary {
        let body = NovaPortBody.create(
            networkID: networkID, project: project, fixedIP: fixedIP, securityGroups: securityGroups,
            deviceID: deviceID, deviceOwner: deviceOwner, host: host)
        return Self.summary(try await api.createPort(body, caller: caller))
    }

    public func bindPort(id: String, deviceID: String, deviceOwner: String, host: String) async throws -> PortSummary {
        let current = try await api.ownedPort(id, caller)
        let body = NovaPortBody.binding(deviceID: deviceID, deviceOwner: deviceOwner, host: host)
        return Self.summary(try await api.updatePort(current, body: body, caller: caller))
    }

    public func unbindPort(id: String) async throws {
        guard let current = try? await api.ownedPort(id, caller) else { return }
        _ = try await api.updatePort(
            current, body: NovaPortBody.binding(deviceID: "", deviceOwner: "", host: ""), caller: caller)
    }

    public func deletePort(id: String) async throws {
        guard let port = try await api.store.port(id: id) else { return }
        let deleted = try await api.store.deletePort(id: port.id)
        try await api.notify(.deleted(.port(deleted)))
    }

    public func floatingIPs(portIDs: [String]) async throws -> [FloatingSummary] {
        guard !portIDs.isEmpty else { return [] }
        return try await api.store.floatingIPs(portIDs: portIDs).compactMap { floating in
            guard let portID = floating.portID, let fixed = floating.fixedIPAddress else { return nil }
            return FloatingSummary(portID: portID, fixedAddress: fixed, floatingAddress: floating.floatingIPAddress)
        }
    }

    public func securityGroups(project: String) async throws -> [SecurityGroupSummary] {
        try await api.ensureDefaultGroup(project)
        return try await api.store.securityGroups(projectID: project).map {
            SecurityGroupSummary(id: $0.id, name: $0.name, projectID: $0.projectID)
        }
    }

    public func setSecurityGroups(portID: String, groups: [String]) async throws {
        let current = try await api.ownedPort(portID, caller)
        _ = try await api.updatePort(
            current, body: ["security_groups": .array(groups.map(JSON.string))], caller: caller)
    }

    public func createBinding(portID: String, host: String) async throws {
        _ = try await api.createBinding(try await api.ownedPort(portID, caller), host: host)
    }

    public func activateBinding(portID: String, host: String) async throws {
        _ = try await api.activateBinding(try await api.ownedPort(portID, caller), host: host)
    }

    public func deleteBinding(portID: String, host: String) async throws {
        try await api.deleteBinding(try await api.ownedPort(portID, caller), host: host)
    }

    public func request(_ method: String, _ path: String, body: JSON?, as user: NetworkUser) async throws -> JSON? {
        try await routes.call(HTTPRequest.Method(method) ?? .get, path, body: body, as: user.credentials)
    }
}
