import Foundation
import NovaCore

/// CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup, AuthorizeSecurityGroupIngress/Egress and
/// RevokeSecurityGroupIngress/Egress over the networking API's security groups and rules.
extension EC2Call {
    struct Permission: Equatable {
        var protocolName: String?
        var fromPort: Int?
        var toPort: Int?
        var cidr: String?
        var group: String?
    }

    func securityGroupNotFound(_ name: String) -> EC2Error {
        EC2Error("InvalidGroup.NotFound", "The security group '\(name)' does not exist")
    }

    func securityGroups() async throws -> [JSON] {
        try await networkList(
            "security-groups", "security_groups", query: "?project_id=" + PercentEncoding.encode(credentials.projectID))
    }

    /// The group a `GroupId` (sg-) or `GroupName` names.
    func namedGroup(_ groups: [JSON]) async throws -> JSON {
        if let id = params["GroupId"] {
            let uuid = try await api.store.uuids(kind: "sg", ec2IDs: [id])[id]
            guard let group = groups.first(where: { uuid != nil && $0["id"]?.stringValue == uuid }) else {
                throw securityGroupNotFound(id)
            }
            return group
        }
        if let name = params["GroupName"] {
            guard let group = groups.first(where: { $0["name"]?.stringValue == name }) else {
                throw securityGroupNotFound(name)
            }
            return group
        }
        throw EC2Error.missing("GroupId")
    }

    func createSecurityGroup() async throws -> [XMLNode] {
        let name = try params.required("GroupName")
        let description = try params.required("GroupDescription")
        guard name.count <= 255, description.count <= 255 else {
            throw EC2Error.invalid("GroupName", name, "Names and descriptions are at most 255 characters.")
        }
        if try await securityGroups().contains(where: { $0["name"]?.stringValue == name }) {
            throw EC2Error("InvalidGroup.Duplicate", "The security group '\(name)' already exists")
        }
        try dryRun(write: true)
        let created = try await expect(
            .network, .post, "/v2.0/security-groups",
            body: ["security_group": ["name": .string(name), "description": .string(description)]])
        return [
            .text("return", "true"),
            .text(
                "groupId",
                try await api.store.ec2ID(kind: "sg", uuid: created["security_group"]?["id"]?.stringValue ?? "")),
        ]
    }

    func deleteSecurityGroup() async throws -> [XMLNode] {
        let group = try await namedGroup(try await securityGroups())
        if group["name"]?.stringValue == "default" {
            throw EC2Error("CannotDelete", "The default security group cannot be deleted.")
        }
        try dryRun(write: true)
        try await expect(
            .network, .delete, "/v2.0/security-groups/" + (group["id"]?.stringValue ?? ""),
            conflict: EC2Error("DependencyViolation", "The security group is in use."))
        return [.text("return", "true")]
    }

    /// EC2's permissions (`IpPermissions.N.IpProtocol`, `FromPort`, `ToPort`, `IpRanges.M.CidrIp`,
    /// `Groups.M.GroupId`) as rules: one per range or group.
    func requestedPermissions() async throws -> [Permission] {
        var permissions: [Permission] = []
        for number in params.numbered("IpPermissions") {
            let prefix = "IpPermissions.\(number)"
            let given = try params.required(prefix + ".IpProtocol").lowercased()
            let protocolName: String? =
                switch given {
                case "-1", "all": nil
                case "tcp", "6": "tcp"
                case "udp", "17": "udp"
                case "icmp", "1": "icmp"
                default: throw EC2Error.invalid(prefix + ".IpProtocol", given, "It must be tcp, udp, icmp or -1.")
                }
            var from = try params.integer(prefix + ".FromPort", in: -1...65535)
            var to = try params.integer(prefix + ".ToPort", in: -1...65535)
            if protocolName == "icmp" {
                from = from == -1 ? nil : from
                to = to == -1 ? nil : to
            } else if protocolName != nil {
                guard let low = from, let high = to, low >= 0, low <= high else {
                    throw EC2Error.invalid(
                        prefix + ".FromPort", "\(from ?? -1)", "TCP and UDP need 0 <= FromPort <= ToPort.")
                }
            } else {
                from = nil
                to = nil
            }
            let ranges = params.numbered(prefix + ".IpRanges").compactMap { params["\(prefix).IpRanges.\($0).CidrIp"] }
            for cidr in ranges {
                guard IPv4Network(parsing: cidr) != nil || cidr == "0.0.0.0/0" else {
                    throw EC2Error.invalid(prefix + ".IpRanges.CidrIp", cidr, "It must be an IPv4 CIDR.")
                }
                permissions.append(Permission(protocolName: protocolName, fromPort: from, toPort: to, cidr: cidr))
            }
            let groupIDs = params.numbered(prefix + ".Groups").compactMap { params["\(prefix).Groups.\($0).GroupId"] }
            let groups = try await api.store.uuids(kind: "sg", ec2IDs: groupIDs)
            for id in groupIDs {
                guard let uuid = groups[id] else { throw securityGroupNotFound(id) }
                permissions.append(Permission(protocolName: protocolName, fromPort: from, toPort: to, group: uuid))
            }
            if ranges.isEmpty, groupIDs.isEmpty {
                permissions.append(
                    Permission(protocolName: protocolName, fromPort: from, toPort: to, cidr: "0.0.0.0/0"))
            }
        }
        guard !permissions.isEmpty else { throw EC2Error.missing("IpPermissions.1.IpProtocol") }
        return permissions
    }

    static func permission(of rule: JSON) -> Permission {
        Permission(
            protocolName: rule["protocol"]?.stringValue, fromPort: rule["port_range_min"]?.intValue,
            toPort: rule["port_range_max"]?.intValue,
            cidr: rule["remote_group_id"]?.stringValue == nil
                ? (rule["remote_ip_prefix"]?.stringValue ?? "0.0.0.0/0") : nil,
            group: rule["remote_group_id"]?.stringValue)
    }

    func authorize(direction: String) async throws -> [XMLNode] {
        let group = try await namedGroup(try await securityGroups())
        let permissions = try await requestedPermissions()
        let existing = (group["security_group_rules"]?.arrayValue ?? []).filter {
            $0["direction"]?.stringValue == direction && $0["ethertype"]?.stringValue == "IPv4"
        }.map(Self.permission)
        if permissions.contains(where: existing.contains) {
            throw EC2Error("InvalidPermission.Duplicate", "The specified rule already exists")
        }
        try dryRun(write: true)
        for permission in permissions {
            var rule: JSONObject = [
                "security_group_id": .string(group["id"]?.stringValue ?? ""), "direction": .string(direction),
                "ethertype": "IPv4",
            ]
            rule["protocol"] = permission.protocolName.map(JSON.string)
            rule["port_range_min"] = permission.fromPort.map(JSON.int)
            rule["port_range_max"] = permission.toPort.map(JSON.int)
            rule["remote_ip_prefix"] = permission.cidr.map(JSON.string)
            rule["remote_group_id"] = permission.group.map(JSON.string)
            try await expect(
                .network, .post, "/v2.0/security-group-rules", body: ["security_group_rule": .object(rule)],
                conflict: EC2Error("InvalidPermission.Duplicate", "The specified rule already exists"))
        }
        return [.text("return", "true")]
    }

    func revoke(direction: String) async throws -> [XMLNode] {
        let group = try await namedGroup(try await securityGroups())
        let permissions = try await requestedPermissions()
        let rules = (group["security_group_rules"]?.arrayValue ?? []).filter {
            $0["direction"]?.stringValue == direction && $0["ethertype"]?.stringValue == "IPv4"
        }
        let matching = rules.filter { permissions.contains(Self.permission(of: $0)) }
        guard !matching.isEmpty else {
            throw EC2Error("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
        }
        try dryRun(write: true)
        for rule in matching {
            try await expect(.network, .delete, "/v2.0/security-group-rules/" + (rule["id"]?.stringValue ?? ""))
        }
        return [.text("return", "true")]
    }

    func describeSecurityGroups() async throws -> [XMLNode] {
        try dryRun(write: false)
        let groups = try await securityGroups()
        let ids = try await api.store.ec2IDs(kind: "sg", uuids: groups.compactMap { $0["id"]?.stringValue })
        let wantedIDs = params.list("GroupId")
        let wantedNames = params.list("GroupName")
        if let missing = wantedIDs.first(where: { !Set(ids.values).contains($0) }) {
            throw securityGroupNotFound(missing)
        }
        if let missing = wantedNames.first(where: { name in !groups.contains { $0["name"]?.stringValue == name } }) {
            throw securityGroupNotFound(missing)
        }
        let filters = try params.filters()
        var items: [[XMLNode]] = []
        for group in groups {
            guard let uuid = group["id"]?.stringValue, let id = ids[uuid] else { continue }
            let name = group["name"]?.stringValue ?? ""
            if !wantedIDs.isEmpty, !wantedIDs.contains(id) { continue }
            if !wantedNames.isEmpty, !wantedNames.contains(name) { continue }
            let fields: [String: [String]] = [
                "group-id": [id], "group-name": [name], "description": [group["description"]?.stringValue ?? ""],
                "owner-id": [group["project_id"]?.stringValue ?? ""],
            ]
            guard try Self.matchesAll(filters, fields) else { continue }
            let rules = (group["security_group_rules"]?.arrayValue ?? []).filter {
                $0["ethertype"]?.stringValue == "IPv4"
            }
            items.append([
                .text("ownerId", group["project_id"]?.stringValue ?? ""), .text("groupId", id),
                .text("groupName", name), .text("groupDescription", group["description"]?.stringValue ?? ""),
                .set(
                    "ipPermissions",
                    try await permissionNodes(rules.filter { $0["direction"]?.stringValue == "ingress" })),
                .set(
                    "ipPermissionsEgress",
                    try await permissionNodes(rules.filter { $0["direction"]?.stringValue == "egress" })),
            ])
        }
        return [.set("securityGroupInfo", items)]
    }

    func permissionNodes(_ rules: [JSON]) async throws -> [[XMLNode]] {
        var items: [[XMLNode]] = []
        for rule in rules {
            let permission = Self.permission(of: rule)
            var nodes: [XMLNode] = [.text("ipProtocol", permission.protocolName ?? "-1")]
            if let from = permission.fromPort { nodes.append(.text("fromPort", String(from))) }
            if let to = permission.toPort { nodes.append(.text("toPort", String(to))) }
            if let group = permission.group {
                nodes.append(
                    .set(
                        "groups",
                        [
                            [
                                .text("userId", credentials.projectID),
                                .text("groupId", try await api.store.ec2ID(kind: "sg", uuid: group)),
                            ]
                        ]))
                nodes.append(.element("ipRanges", []))
            } else {
                nodes.append(.element("groups", []))
                nodes.append(.set("ipRanges", [[.text("cidrIp", permission.cidr ?? "0.0.0.0/0")]]))
            }
            items.append(nodes)
        }
        return items
    }
}
