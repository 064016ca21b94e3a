import APISupport
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    static let groupAttributes: Set<String> = ["name", "description", "tenant_id", "project_id", "stateful"]
    static let ruleAttributes: Set<String> = [
        "security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
        "remote_ip_prefix", "remote_group_id", "remote_address_group_id", "description", "tenant_id", "project_id",
    ]
    /// Protocols whose rules take a port range.
    static let portProtocols: Set<String> = ["tcp", "udp", "sctp", "dccp", "udplite", "6", "17", "132", "33", "136"]
    static let knownProtocols: Set<String> = portProtocols.union(IPProtocolNumbers.byName.keys)

    func registerSecurityGroups(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("security-groups") { request, context in
            let caller = try context.caller()
            let query = ListQuery(request.query)
            // As Neutron: the project listed (the caller's, or the one an admin filters on) gets its default group.
            let named = query.values("project_id") ?? query.values("tenant_id")
            if caller.isAdmin, let named, named.count == 1, !named[0].isEmpty {
                try await ensureDefaultGroup(named[0])
            } else {
                try await ensureDefaultGroup(caller.projectID)
            }
            let groups = try await store.securityGroups(
                ids: query.values("id"), projectID: caller.isAdmin ? nil : caller.projectID)
            let rules = try await store.securityGroupRules(groupIDs: groups.map(\.id))
            return Response.json(
                try query.respond(
                    groups.map { group in groupView(group, rules: rules.filter { $0.securityGroupID == group.id }) },
                    collection: "security_groups", path: "/\(Self.prefix)/v2.0/security-groups",
                    baseURL: request.baseURL(fallback: "")))
        }
        v2.post("security-groups") { request, context in
            let caller = try context.caller()
            let body = try await body(request, context, resource: "security_group", allowed: Self.groupAttributes)
            let project = try owner(body, caller, resource: "security_group")
            let name = try name(body) ?? ""
            if name == "default" {
                throw NovaError(
                    NovaError.Code(status: 409, name: "SecurityGroupDefaultAlreadyExists"),
                    "Default security group already exists.")
            }
            try await ensureDefaultGroup(project)
            var group = SecurityGroup(id: newID(), projectID: project, name: name, createdAt: clock.now)
            if let description = try self.name(body, "description") { group.standard.description = description }
            if let stateful = try flag(body, "stateful") { group.stateful = stateful }
            let rules = SecurityGroup.newGroupRules(groupID: group.id, projectID: project, createdAt: clock.now)
            let stored = try await store.createSecurityGroup(group, rules: rules)
            try await notify(.created(.securityGroup(stored)))
            return Response.json(["security_group": .object(groupView(stored, rules: rules))], status: 201)
        }
        v2.get("security-groups/{id}") { _, context in
            let group = try await ownedGroup(context.parameter("id"), try context.caller())
            let rules = try await store.securityGroupRules(groupIDs: [group.id])
            return Response.json(["security_group": .object(groupView(group, rules: rules))])
        }
        v2.put("security-groups/{id}") { request, context in
            let caller = try context.caller()
            let current = try await ownedGroup(context.parameter("id"), caller)
            let body = try await body(request, context, resource: "security_group", allowed: Self.groupAttributes)
            let name = try name(body)
            if current.name == "default", let name, name != "default" {
                throw NovaError(
                    NovaError.Code(status: 409, name: "SecurityGroupCannotUpdateDefault"),
                    "Updating default security group not allowed.")
            }
            let description = try self.name(body, "description")
            let stateful = try flag(body, "stateful")
            let now = clock.now
            let (old, new) = try await store.updateSecurityGroup(id: current.id) { group in
                if let name { group.name = name }
                if let description { group.standard.description = description }
                if let stateful { group.stateful = stateful }
                group.standard.touch(now)
            }
            try await notify(.updated(old: .securityGroup(old), new: .securityGroup(new)))
            let rules = try await store.securityGroupRules(groupIDs: [new.id])
            return Response.json(["security_group": .object(groupView(new, rules: rules))])
        }
        v2.delete("security-groups/{id}") { _, context in
            let caller = try context.caller()
            let group = try await ownedGroup(context.parameter("id"), caller)
            if group.name == "default", !caller.isAdmin {
                throw NovaError(
                    .securityGroupCannotRemoveDefault, "Insufficient rights for removing default security group.")
            }
            let deleted = try await store.deleteSecurityGroup(id: group.id)
            for rule in deleted.referencing { try await notify(.deleted(.securityGroupRule(rule))) }
            try await notify(.deleted(.securityGroup(deleted.group)))
            return Response.empty(status: 204)
        }
        registerSecurityGroupRules(on: v2)
    }

    func registerSecurityGroupRules(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("security-group-rules") { request, context in
            let caller = try context.caller()
            let query = ListQuery(request.query)
            let groups = try await store.securityGroups(projectID: caller.isAdmin ? nil : caller.projectID)
            let rules = try await store.securityGroupRules(groupIDs: groups.map(\.id), ids: query.values("id"))
            return Response.json(
                try query.respond(
                    rules.map(ruleView), collection: "security_group_rules",
                    path: "/\(Self.prefix)/v2.0/security-group-rules", baseURL: request.baseURL(fallback: "")))
        }
        v2.post("security-group-rules") { request, context in
            let caller = try context.caller()
            let body = try await body(request, context, resource: "security_group_rule", allowed: Self.ruleAttributes)
            let rule = try await newRule(body, caller: caller)
            let stored = try await store.createSecurityGroupRule(rule)
            try await notify(.created(.securityGroupRule(stored)))
            return Response.json(["security_group_rule": .object(ruleView(stored))], status: 201)
        }
        v2.get("security-group-rules/{id}") { _, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            guard let rule = try await store.securityGroupRule(id: id),
                (try? await ownedGroup(rule.securityGroupID, caller)) != nil
            else { throw NovaError(.securityGroupRuleNotFound, "Security group rule \(id) does not exist") }
            return Response.json(["security_group_rule": .object(ruleView(rule))])
        }
        v2.delete("security-group-rules/{id}") { _, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            guard let rule = try await store.securityGroupRule(id: id),
                (try? await ownedGroup(rule.securityGroupID, caller)) != nil
            else { throw NovaError(.securityGroupRuleNotFound, "Security group rule \(id) does not exist") }
            let deleted = try await store.deleteSecurityGroupRule(id: id)
            try await notify(.deleted(.securityGroupRule(deleted)))
            return Response.empty(status: 204)
        }
    }

    /// The caller's project gets its `default` group on first use, as Neutron does.
    func ensureDefaultGroup(_ project: String) async throws {
        guard !project.isEmpty else { return }
        let (group, created) = try await store.defaultSecurityGroup(project: project, now: clock.now)
        if created { try await notify(.created(.securityGroup(group))) }
    }

    func ownedGroup(_ id: String, _ caller: Credentials) async throws -> SecurityGroup {
        guard let group = try await store.securityGroup(id: id), caller.isAdmin || group.projectID == caller.projectID
        else { throw NovaError(.securityGroupNotFound, "Security group \(id) does not exist") }
        return group
    }

    func newRule(_ body: JSONObject, caller: Credentials) async throws -> SecurityGroupRule {
        guard let groupID = body["security_group_id"]?.stringValue else {
            throw NovaError.badRequest("Failed to parse request. Required attribute 'security_group_id' not specified")
        }
        let group = try await ownedGroup(groupID, caller)
        guard let direction = body["direction"]?.stringValue, ["ingress", "egress"].contains(direction) else {
            throw NovaError.invalidInput("direction must be ingress or egress")
        }
        let ethertype = body["ethertype"]?.stringValue ?? "IPv4"
        guard ["IPv4", "IPv6"].contains(ethertype) else {
            throw NovaError.invalidInput("ethertype \(ethertype.prefix(64)) is not IPv4 or IPv6")
        }
        var rule = SecurityGroupRule(
            id: newID(), projectID: group.projectID, securityGroupID: group.id, direction: direction,
            ethertype: ethertype, createdAt: clock.now)
        if let description = try name(body, "description") { rule.standard.description = description }
        if let value = body["protocol"], !value.isNull {
            // checked: a whole number or nothing (intValue never traps); its range is checked below
            let text = value.stringValue?.lowercased() ?? (value.intValue.map(String.init) ?? "")
            if let number = Int(text) {  // checked: parsed from at most a few digits and range-checked here
                guard (0...255).contains(number) else {
                    throw NovaError(
                        NovaError.Code(status: 400, name: "SecurityGroupRuleInvalidProtocol"),
                        "Security group rule protocol \(text.prefix(64)) not supported. Only protocol values [None, tcp, udp, icmp, ...] and integer representations [0 to 255] are supported."
                    )
                }
                rule.ipProtocol = number == 0 ? nil : text
            } else if text == "any" {
                rule.ipProtocol = nil
            } else {
                guard Self.knownProtocols.contains(text) else {
                    throw NovaError(
                        NovaError.Code(status: 400, name: "SecurityGroupRuleInvalidProtocol"),
                        "Security group rule protocol \(text.prefix(64)) not supported.")
                }
                rule.ipProtocol = text
            }
        }
        rule.portRangeMin = try CheckedInput.integer(
            body["port_range_min"], field: "port_range_min", in: 0...65535, allowString: true, nullIsAbsent: true)
        rule.portRangeMax = try CheckedInput.integer(
            body["port_range_max"], field: "port_range_max", in: 0...65535, allowString: true, nullIsAbsent: true)
        try checkPorts(rule)
        if let value = body["remote_ip_prefix"], !value.isNull {
            let text = value.stringValue ?? ""
            let cidr = text.contains("/") ? text : text + (text.contains(":") ? "/128" : "/32")
            let address = cidr.split(separator: "/").first.flatMap { IPAddress(String($0)) }
            guard let prefix = IPNetwork(cidr: cidr), let address else {
                throw NovaError.invalidInput("'\(value.serialized().prefix(64))' is not a valid IP prefix")
            }
            guard (prefix.version == 4) == (ethertype == "IPv4") else {
                throw NovaError.invalidInput("Conflicting value ethertype \(ethertype) for CIDR \(text)")
            }
            // Kept as given (the address in its usual form), as Neutron keeps it; `normalized_cidr` clears it.
            rule.remoteIPPrefix = "\(address)/\(prefix.prefixLength)"
        }
        if let value = body["remote_group_id"], !value.isNull {
            guard rule.remoteIPPrefix == nil else {
                throw NovaError.badRequest("Only remote_ip_prefix or remote_group_id may be provided.")
            }
            guard let remote = value.stringValue, try await store.securityGroup(id: remote) != nil else {
                throw NovaError(
                    .securityGroupNotFound, "Security group \(value.serialized().prefix(64)) does not exist")
            }
            rule.remoteGroupID = remote
        }
        return rule
    }

    func checkPorts(_ rule: SecurityGroupRule) throws {
        guard rule.portRangeMin != nil || rule.portRangeMax != nil else { return }
        guard let proto = rule.ipProtocol else {
            throw NovaError.badRequest("Must also specify protocol if port range is given.")
        }
        if Self.portProtocols.contains(proto) {
            if let low = rule.portRangeMin, let high = rule.portRangeMax, low > high {
                throw NovaError.badRequest("For TCP/UDP protocols, port_range_min must be <= port_range_max")
            }
            if rule.portRangeMin == 0 || rule.portRangeMax == 0 {
                throw NovaError.badRequest("Invalid value for port 0")
            }
        } else if ["icmp", "icmpv6", "ipv6-icmp", "1", "58"].contains(proto) {
            if let type = rule.portRangeMin, type > 255 {
                throw NovaError.badRequest(
                    "Invalid value for ICMP field (port_range_min): \(type). It must be 0 to 255.")
            }
            if let code = rule.portRangeMax, code > 255 {
                throw NovaError.badRequest(
                    "Invalid value for ICMP field (port_range_max): \(code). It must be 0 to 255.")
            }
            if rule.portRangeMin == nil {
                throw NovaError.badRequest(
                    "ICMP code (port-range-max) is provided but ICMP type (port-range-min) is missing.")
            }
        } else {
            throw NovaError.badRequest(
                "Invalid protocol \(proto) for port range, only supported for TCP, UDP, UDPLITE, SCTP, DCCP and ICMP protocols"
            )
        }
    }

    func groupView(_ group: SecurityGroup, rules: [SecurityGroupRule]) -> JSONObject {
        var json: JSONObject = [
            "id": .string(group.id), "name": .string(group.name), "tenant_id": .string(group.projectID),
            "project_id": .string(group.projectID), "stateful": .bool(group.stateful), "shared": false,
            "security_group_rules": .array(rules.map { .object(ruleView($0)) }),
        ]
        Self.appendStandard(group.standard, to: &json)
        return json
    }

    func ruleView(_ rule: SecurityGroupRule) -> JSONObject {
        var json: JSONObject = [
            "id": .string(rule.id), "tenant_id": .string(rule.projectID), "project_id": .string(rule.projectID),
            "security_group_id": .string(rule.securityGroupID), "direction": .string(rule.direction),
            "ethertype": .string(rule.ethertype), "protocol": .optional(rule.ipProtocol),
            "port_range_min": .optional(rule.portRangeMin), "port_range_max": .optional(rule.portRangeMax),
            "remote_ip_prefix": .optional(rule.remoteIPPrefix), "normalized_cidr": .optional(rule.normalizedCIDR),
            "remote_group_id": .optional(rule.remoteGroupID), "remote_address_group_id": .null,
        ]
        Self.appendStandard(rule.standard, to: &json)
        json["tags"] = nil
        return json
    }
}
