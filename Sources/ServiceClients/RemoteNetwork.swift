import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NovaCore

/// The networking API over HTTP (nova/network/neutron.py's client), with the service's credentials: what the
/// compute API and compute hosts use when the networking service runs in another process. Neutron's own
/// error (its type and message) comes back as a NovaError with that type and the same status.
public struct RemoteNetwork: NetworkClient {
    let session: ServiceSession

    public init(session: ServiceSession) { self.session = session }

    @discardableResult
    /// A call with the service's token, or with `token` (a user's); Neutron's error thrown as a NovaError.
    func expect(_ method: HTTPMethod, _ path: String, json: JSON? = nil, token: String? = nil) async throws -> JSON? {
        let response = try await session.send("network", method, "/v2.0" + path, json: json, token: token)
        guard response.isSuccess else {
            let type = response.json?["NeutronError"]?["type"]?.stringValue ?? "HTTPError"
            let message = response.json?["NeutronError"]?["message"]?.stringValue ?? response.errorMessage
            throw NovaError(NovaError.Code(status: response.status, name: type), message)
        }
        return response.json
    }

    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0)=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
    }

    public func networks(ids: [String]?, project: String?) async throws -> [NetworkSummary] {
        var pairs: [(String, String)] = ids?.map { ("id", $0) } ?? []
        pairs.append(("fields", "id"))
        for field in ["name", "project_id", "shared", "router:external", "subnets"] { pairs.append(("fields", field)) }
        let json = try await expect(.GET, "/networks?" + Self.query(pairs))
        return (json?["networks"]?.arrayValue ?? []).compactMap(Self.network).filter { network in
            let visible = project == nil || network.projectID == project || network.shared || network.external
            if ids != nil { return visible }
            return visible && !network.external
        }
    }

    static func network(_ json: JSON) -> NetworkSummary? {
        guard let id = json["id"]?.stringValue else { return nil }
        return NetworkSummary(
            id: id, name: json["name"]?.stringValue ?? "", projectID: json["project_id"]?.stringValue ?? "",
            shared: json["shared"]?.boolValue ?? false, external: json["router:external"]?.boolValue ?? false,
            hasSubnets: !(json["subnets"]?.arrayValue?.isEmpty ?? true))
    }

    public func autoAllocatedNetwork(project: String) async throws -> NetworkSummary {
        let json = try await expect(.GET, "/auto-allocated-topology/\(PercentEncoding.encode(project))")
        guard let id = json?["auto_allocated_topology"]?["id"]?.stringValue,
            let network = try await networks(ids: [id], project: project).first
        else { throw NovaError.serviceUnavailable("The networking service gave no auto-allocated network.") }
        return network
    }

    static func port(_ json: JSON?) -> PortSummary? {
        guard let json, let id = json["id"]?.stringValue else { return nil }
        return PortSummary(
            id: id, networkID: json["network_id"]?.stringValue ?? "", projectID: json["project_id"]?.stringValue ?? "",
            macAddress: json["mac_address"]?.stringValue ?? "",
            fixedIPs: json["fixed_ips"]?.arrayValue?.compactMap { entry in
                entry["ip_address"]?.stringValue.map {
                    PortFixedIP(subnetID: entry["subnet_id"]?.stringValue ?? "", address: $0)
                }
            } ?? [],
            deviceID: json["device_id"]?.stringValue ?? "", deviceOwner: json["device_owner"]?.stringValue ?? "",
            status: json["status"]?.stringValue ?? "", bindingHost: json["binding:host_id"]?.stringValue ?? "",
            securityGroups: json["security_groups"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            vifType: json["binding:vif_type"]?.stringValue ?? "unbound",
            vifDetails: PortSummary.vifDetails(json["binding:vif_details"]))
    }

    public func port(id: String) async throws -> PortSummary? {
        do {
            return Self.port(try await expect(.GET, "/ports/\(PercentEncoding.encode(id))")?["port"])
        } catch let error as NovaError where error.code.status == 404 {
            return nil
        }
    }

    public func ports(deviceID: String) async throws -> [PortSummary] {
        let json = try await expect(.GET, "/ports?" + Self.query([("device_id", deviceID)]))
        return (json?["ports"]?.arrayValue ?? []).compactMap(Self.port)
    }

    public func createPort(
        networkID: String, project: String, fixedIP: String?, securityGroups: [String]?, deviceID: String,
        deviceOwner: String, host: String
    ) async throws -> PortSummary {
        let body = NovaPortBody.create(
            networkID: networkID, project: project, fixedIP: fixedIP, securityGroups: securityGroups,
            deviceID: deviceID, deviceOwner: deviceOwner, host: host)
        guard let port = Self.port(try await expect(.POST, "/ports", json: ["port": .object(body)])?["port"]) else {
            throw NovaError.serviceUnavailable("The networking service answered a port create without a port.")
        }
        return port
    }

    public func bindPort(id: String, deviceID: String, deviceOwner: String, host: String) async throws -> PortSummary {
        let body: JSON = [
            "port": .object(NovaPortBody.binding(deviceID: deviceID, deviceOwner: deviceOwner, host: host))
        ]
        guard let port = Self.port(try await expect(.PUT, "/ports/\(PercentEncoding.encode(id))", json: body)?["port"])
        else { throw NovaError.serviceUnavailable("The networking service answered a port update without a port.") }
        return port
    }

    public func unbindPort(id: String) async throws {
        let body: JSON = ["port": .object(NovaPortBody.binding(deviceID: "", deviceOwner: "", host: ""))]
        do {
            try await expect(.PUT, "/ports/\(PercentEncoding.encode(id))", json: body)
        } catch let error as NovaError where error.code.status == 404 {}
    }

    public func deletePort(id: String) async throws {
        do {
            try await expect(.DELETE, "/ports/\(PercentEncoding.encode(id))")
        } catch let error as NovaError where error.code.status == 404 {}
    }

    public func floatingIPs(portIDs: [String]) async throws -> [FloatingSummary] {
        guard !portIDs.isEmpty else { return [] }
        let json = try await expect(.GET, "/floatingips?" + Self.query(portIDs.map { ("port_id", $0) }))
        return (json?["floatingips"]?.arrayValue ?? []).compactMap { floating in
            guard let port = floating["port_id"]?.stringValue, let fixed = floating["fixed_ip_address"]?.stringValue,
                let address = floating["floating_ip_address"]?.stringValue
            else { return nil }
            return FloatingSummary(portID: port, fixedAddress: fixed, floatingAddress: address)
        }
    }

    public func securityGroups(project: String) async throws -> [SecurityGroupSummary] {
        let json = try await expect(.GET, "/security-groups?" + Self.query([("project_id", project)]))
        return (json?["security_groups"]?.arrayValue ?? []).compactMap { group in
            guard let id = group["id"]?.stringValue else { return nil }
            return SecurityGroupSummary(
                id: id, name: group["name"]?.stringValue ?? "", projectID: group["project_id"]?.stringValue ?? "")
        }
    }

    public func setSecurityGroups(portID: String, groups: [String]) async throws {
        let body: JSON = ["port": ["security_groups": .array(groups.map(JSON.string))]]
        try await expect(.PUT, "/ports/\(PercentEncoding.encode(portID))", json: body)
    }

    public func createBinding(portID: String, host: String) async throws {
        try await expect(
            .POST, "/ports/\(PercentEncoding.encode(portID))/bindings", json: ["binding": ["host": .string(host)]])
    }

    public func activateBinding(portID: String, host: String) async throws {
        try await expect(
            .PUT, "/ports/\(PercentEncoding.encode(portID))/bindings/\(PercentEncoding.encode(host))/activate")
    }

    public func deleteBinding(portID: String, host: String) async throws {
        try await expect(.DELETE, "/ports/\(PercentEncoding.encode(portID))/bindings/\(PercentEncoding.encode(host))")
    }

    public func request(_ method: String, _ path: String, body: JSON?, as user: NetworkUser) async throws -> JSON? {
        try await expect(HTTPMethod(rawValue: method), path, json: body, token: user.token.isEmpty ? nil : user.token)
    }
}
