import APISupport
import Foundation
import Hummingbird
import NovaCore

/// /os-server-groups (nova/api/openstack/compute/server_groups.py).
extension ComputeAPI {
    func registerServerGroups(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-server-groups") { request, context in
            let caller = try context.caller()
            try PolicyRule.projectReaderOrAdmin.enforce("os_compute_api:os-server-groups:index", caller)
            let all = caller.isAdmin && request.query.flag("all_projects") == true
            var groups = try await store.serverGroups(projectID: all ? nil : caller.projectID)
            let offset = try CheckedInput.integer(request.query["offset"], field: "offset", in: 0...Int.max) ?? 0
            let limit = try CheckedInput.integer(request.query["limit"], field: "limit", in: 1...Int.max)
            groups = Array(groups.dropFirst(offset).prefix(min(limit ?? config.maxLimit, config.maxLimit)))
            return Response.json(["server_groups": .array(groups.map { serverGroupJSON($0, context) })])
        }
        v21.post("os-server-groups") { request, context in
            let caller = try context.caller()
            try PolicyRule.projectMemberOrAdmin.enforce("os_compute_api:os-server-groups:create", caller)
            let body = try await request.jsonBody(context: context)
            guard let spec = body["server_group"]?.objectValue,
                let name = try CheckedInput.text(spec["name"], field: "name", length: 1...255)
            else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute server_group. 'name' of 1 to 255 characters is required")
            }
            let (policy, maxPerHost) = try Self.groupPolicy(spec, version: context.apiVersion)
            let limits = try await store.quotaLimits(projectID: caller.projectID)
            let group = try await store.createServerGroup(
                name: name, projectID: caller.projectID, userID: caller.userID, policy: policy,
                maxServerPerHost: maxPerHost, limit: limits.limit(.serverGroups))
            return Response.json(["server_group": serverGroupJSON(group, context)])
        }
        v21.get("os-server-groups/{id}") { _, context in
            let group = try await visibleGroup(context, action: "show", rule: .projectReaderOrAdmin)
            return Response.json(["server_group": serverGroupJSON(group, context)])
        }
        v21.delete("os-server-groups/{id}") { _, context in
            let group = try await visibleGroup(context, action: "delete", rule: .projectMemberOrAdmin)
            try await store.deleteServerGroup(uuid: group.uuid)
            return Response.empty(status: 204)
        }
    }

    func visibleGroup(_ context: NovaRequestContext, action: String, rule: PolicyRule) async throws -> ServerGroup {
        let caller = try context.caller()
        let id = context.parameter("id")
        guard let group = try await store.serverGroup(uuid: id), caller.isAdmin || group.projectID == caller.projectID
        else {
            throw NovaError.notFound("Instance group \(id) could not be found.")
        }
        try rule.enforce("os_compute_api:os-server-groups:\(action)", caller, targetProject: group.projectID)
        return group
    }

    /// `policies: [p]` before 2.64, `policy` and `rules` from 2.64; soft-* policies from 2.15.
    static func groupPolicy(_ spec: JSONObject, version: APIVersion) throws -> (String, Int?) {
        let allowed =
            version >= APIVersion(2, 15) ? ServerGroup.policies : Array(ServerGroup.policies.prefix(2))
        if version >= APIVersion(2, 64) {
            guard let policy = spec["policy"]?.stringValue, allowed.contains(policy) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute policy. Value must be one of \(allowed.joined(separator: ", "))")
            }
            var maxPerHost: Int?
            if let rules = spec["rules"]?.objectValue, !rules.entries.isEmpty {
                guard policy == "anti-affinity", rules.keys == ["max_server_per_host"] else {
                    throw NovaError.badRequest(
                        "Invalid input for field/attribute rules: only max_server_per_host (an integer >= 1) with the anti-affinity policy"
                    )
                }
                maxPerHost = try CheckedInput.integer(
                    rules["max_server_per_host"], field: "max_server_per_host",
                    in: 1...CheckedInput.maxDatabaseInteger, allowString: true)
            }
            return (policy, maxPerHost)
        }
        guard let policies = spec["policies"]?.arrayValue?.compactMap(\.stringValue), policies.count == 1,
            allowed.contains(policies[0])
        else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute policies. It must hold exactly one of \(allowed.joined(separator: ", "))"
            )
        }
        return (policies[0], nil)
    }

    func serverGroupJSON(_ group: ServerGroup, _ context: NovaRequestContext) -> JSON {
        var json: JSONObject = [
            "id": .string(group.uuid), "name": .string(group.name), "members": .array(group.members.map(JSON.string)),
        ]
        if context.apiVersion >= APIVersion(2, 64) {
            json["policy"] = .string(group.policy)
            json["rules"] =
                group.maxServerPerHost.map { ["max_server_per_host": .int($0)] } ?? .object(JSONObject())
        } else {
            json["policies"] = [.string(group.policy)]
            json["metadata"] = .object(JSONObject())
        }
        if context.apiVersion >= APIVersion(2, 13) {
            json["project_id"] = .string(group.projectID)
            json["user_id"] = .string(group.userID)
        }
        return .object(json)
    }

    /// `os:scheduler_hints` (or `OS-SCH-HNT:scheduler_hints`): each value as a list of strings.
    static func schedulerHints(_ body: JSON) throws -> [String: [String]] {
        guard let hints = (body["os:scheduler_hints"] ?? body["OS-SCH-HNT:scheduler_hints"]) else { return [:] }
        guard let object = hints.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute os:scheduler_hints: it must be an object")
        }
        var result: [String: [String]] = [:]
        for (key, value) in object.entries {
            switch value {
            case .string(let text): result[key] = [text]
            case .array(let items):
                let texts = items.compactMap(\.stringValue)
                guard texts.count == items.count else {
                    throw NovaError.badRequest("Invalid input for scheduler hint \(key): a list of strings expected")
                }
                result[key] = texts
            case .int(let number): result[key] = [String(number)]
            default:
                result[key] = [value.serialized()]
            }
        }
        if let group = result["group"] {
            guard group.count == 1, UUID(uuidString: group[0]) != nil else {
                throw NovaError.badRequest("Invalid input for field/attribute group: it must be a server group UUID")
            }
        }
        for key in ["different_host", "same_host"] {
            if let uuids = result[key], uuids.contains(where: { UUID(uuidString: $0) == nil }) {
                throw NovaError.badRequest("Invalid input for field/attribute \(key): server UUIDs expected")
            }
        }
        return result
    }
}
