import APISupport
import Foundation
import HTTPTypes
import Hummingbird
import NovaCore

/// os-security-groups and os-security-group-rules (below 2.36), a server's groups, and
/// os-security-group-default-rules (410): the networking service's groups in Nova's old shape.
extension ComputeAPI {
    func registerSecurityGroupProxies(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-security-groups") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let project = PercentEncoding.encode(user.credentials.projectID)
            // An admin's all_tenants lists every project's groups, as Nova's proxy asks the networking service.
            let all = user.credentials.isAdmin && request.query.flag("all_tenants") == true
            let groups =
                try await neutron(
                    client, "GET", all ? "/security-groups" : "/security-groups?project_id=\(project)", as: user)[
                    "security_groups"]?
                .arrayValue ?? []
            return Response.json(["security_groups": .array(groups.map(legacyGroup))])
        }
        v21.get("os-security-groups/{id}") { request, context in
            let (client, user) = try proxyCaller(request, context)
            return Response.json(["security_group": legacyGroup(try await group(context.parameter("id"), client, user))]
            )
        }
        v21.post("os-security-groups") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let fields = try await groupFields(request, context)
            let made = try await neutron(
                client, "POST", "/security-groups", body: ["security_group": .object(fields)], as: user)
            return Response.json(["security_group": legacyGroup(made["security_group"] ?? .null)])
        }
        v21.put("os-security-groups/{id}") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let id = try await group(context.parameter("id"), client, user)["id"]?.stringValue ?? ""
            let fields = try await groupFields(request, context)
            let updated = try await neutron(
                client, "PUT", "/security-groups/\(PercentEncoding.encode(id))",
                body: ["security_group": .object(fields)], as: user)
            return Response.json(["security_group": legacyGroup(updated["security_group"] ?? .null)])
        }
        v21.delete("os-security-groups/{id}") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let id = try await group(context.parameter("id"), client, user)["id"]?.stringValue ?? ""
            do {
                _ = try await neutron(client, "DELETE", "/security-groups/\(PercentEncoding.encode(id))", as: user)
            } catch let error as NovaError where error.code.status == 409 {
                // A group in use, or the default group: Nova's proxy says the request is invalid.
                throw NovaError.badRequest(error.message)
            }
            return Response.empty(status: 202)
        }
        v21.post("os-security-group-rules") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let body = try await request.jsonBody(context: context)
            guard let rule = body["security_group_rule"], rule.objectValue != nil else {
                throw NovaError.badRequest("Invalid input for field/attribute security_group_rule")
            }
            let fields = try ruleFields(rule)
            var remote: [JSON] = []
            if let id = fields["remote_group_id"]?.stringValue { remote.append(try await group(id, client, user)) }
            let made: JSON
            do {
                made = try await neutron(
                    client, "POST", "/security-group-rules", body: ["security_group_rule": .object(fields)], as: user)
            } catch let error as NovaError where error.code.status == 409 {
                // The same rule already there (SecurityGroupRuleExists): 400 from Nova's proxy.
                throw NovaError.badRequest(error.message)
            }
            return Response.json([
                "security_group_rule": legacyRule(made["security_group_rule"] ?? .null, groups: remote)
            ])
        }
        v21.delete("os-security-group-rules/{id}") { request, context in
            let (client, user) = try proxyCaller(request, context)
            let id = PercentEncoding.encode(context.parameter("id"))
            _ = try await neutron(client, "DELETE", "/security-group-rules/\(id)", as: user)
            return Response.empty(status: 202)
        }
        for path in ["os-security-group-default-rules", "os-security-group-default-rules/{id}"] {
            let gone: @Sendable (Request, NovaRequestContext) async throws -> Response = { _, _ in
                throw NovaError(.gone, "Default security group rules are not available.")
            }
            v21.get(RouterPath(stringLiteral: path), use: gone)
            v21.post(RouterPath(stringLiteral: path), use: gone)
            v21.delete(RouterPath(stringLiteral: path), use: gone)
        }
        v21.get("servers/{id}/os-security-groups") { request, context in
            let instance = try await visibleInstance(context.parameter("id"), context)
            guard let network else { throw NovaError.badRequest("Network driver does not support this function.") }
            let token = request.headers[HTTPField.Name("X-Auth-Token")!] ?? ""
            let user = NetworkUser(credentials: try context.caller(), token: token)
            let ids = Set(try await network.ports(deviceID: instance.uuid).flatMap(\.securityGroups)).sorted()
            var groups: [JSON] = []
            for id in ids { groups.append(legacyGroup(try await group(id, network, user))) }
            return Response.json(["security_groups": .array(groups)])
        }
    }

    func group(_ id: String, _ client: any NetworkClient, _ user: NetworkUser) async throws -> JSON {
        let found = try await neutron(client, "GET", "/security-groups/\(PercentEncoding.encode(id))", as: user)
        guard let group = found["security_group"] else {
            throw NovaError.notFound("Security group \(id) not found.")
        }
        return group
    }

    /// `{"security_group": {"name", "description"}}`, both required strings as Nova's schema has them.
    func groupFields(_ request: Request, _ context: NovaRequestContext) async throws -> JSONObject {
        let body = try await request.jsonBody(context: context)
        guard let group = body["security_group"], group.objectValue != nil else {
            throw NovaError.badRequest("Invalid input for field/attribute security_group")
        }
        guard let name = try CheckedInput.text(group["name"], field: "name", length: 1...255),
            let description = try CheckedInput.text(group["description"], field: "description", length: 0...255)
        else { throw NovaError.badRequest("Security group name and description are required") }
        return ["name": .string(name), "description": .string(description)]
    }

    /// Nova's rule body as the networking service's: an ingress rule with a protocol, a port range (ICMP type
    /// and code) and a CIDR or a remote group.
    func ruleFields(_ rule: JSON) throws -> JSONObject {
        guard let parent = try CheckedInput.text(rule["parent_group_id"], field: "parent_group_id", length: 1...255)
        else { throw NovaError.badRequest("Invalid input for field/attribute parent_group_id") }
        guard UUID(uuidString: parent) != nil else { throw NovaError.badRequest("Security group id should be uuid") }
        var fields: JSONObject = [
            "security_group_id": .string(parent), "direction": "ingress", "ethertype": "IPv4",
        ]
        let proto = try CheckedInput.text(rule["ip_protocol"], field: "ip_protocol", length: 1...16)?.lowercased()
        if let proto {
            guard ["tcp", "udp", "icmp"].contains(proto) else {
                throw NovaError.badRequest("Invalid IP protocol \(proto).")
            }
            fields["protocol"] = .string(proto)
        }
        let from = try Self.port(rule["from_port"], "from_port")
        let to = try Self.port(rule["to_port"], "to_port")
        if proto == "icmp" {
            if let from, from != -1 { fields["port_range_min"] = .int(from) }
            if let to, to != -1 { fields["port_range_max"] = .int(to) }
        } else if proto != nil {
            guard let from, let to, 1 <= from, from <= to, to <= 65535 else {
                throw NovaError.badRequest(
                    "Invalid port range \(from ?? 0):\(to ?? 0). Valid TCP ports should be between 1-65535")
            }
            fields["port_range_min"] = .int(from)
            fields["port_range_max"] = .int(to)
        }
        let cidr = try CheckedInput.text(rule["cidr"], field: "cidr", length: 1...64)
        let group = try CheckedInput.text(rule["group_id"], field: "group_id", length: 1...255)
        if cidr != nil, group != nil { throw NovaError.badRequest("Not enough parameters: give a cidr or a group_id") }
        if let group {
            guard UUID(uuidString: group) != nil else { throw NovaError.badRequest("Security group id should be uuid") }
            fields["remote_group_id"] = .string(group)
        }
        if let cidr {
            fields["remote_ip_prefix"] = .string(cidr)
            if cidr.contains(":") { fields["ethertype"] = "IPv6" }
        } else if group == nil {
            fields["remote_ip_prefix"] = "0.0.0.0/0"
        }
        return fields
    }

    static func port(_ value: JSON?, _ field: String) throws -> Int? {
        try CheckedInput.integer(value, field: field, in: -1...65535, allowString: true, nullIsAbsent: true)
    }

    /// Nova's group view: `{id, name, description, tenant_id, rules}` with its ingress rules.
    func legacyGroup(_ group: JSON) -> JSON {
        let rules = (group["security_group_rules"]?.arrayValue ?? []).filter { $0["direction"] == "ingress" }
        return [
            "id": group["id"] ?? .null, "name": group["name"] ?? .null, "description": group["description"] ?? "",
            "tenant_id": group["project_id"] ?? .null,
            "rules": .array(rules.map { legacyRule($0, groups: [group]) }),
        ]
    }

    /// Nova's rule view: `{id, parent_group_id, ip_protocol, from_port, to_port, ip_range, group}`.
    func legacyRule(_ rule: JSON, groups: [JSON]) -> JSON {
        let proto = rule["protocol"] ?? .null
        var from = rule["port_range_min"] ?? .null
        var to = rule["port_range_max"] ?? .null
        if proto == "icmp" {
            if from == .null { from = .int(-1) }
            if to == .null { to = .int(-1) }
        }
        var remote: JSON = [:]
        if let id = rule["remote_group_id"]?.stringValue {
            let named = groups.first { $0["id"]?.stringValue == id }
            remote = ["name": named?["name"] ?? .string(id), "tenant_id": rule["project_id"] ?? .null]
        }
        let cidr = rule["remote_ip_prefix"]
        return [
            "id": rule["id"] ?? .null, "parent_group_id": rule["security_group_id"] ?? .null, "ip_protocol": proto,
            "from_port": from, "to_port": to,
            "ip_range": cidr.flatMap { $0 == .null ? nil : ["cidr": $0] } ?? [:], "group": remote,
        ]
    }
}
