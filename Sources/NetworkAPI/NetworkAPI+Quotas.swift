import APISupport
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    func registerQuotas(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("quotas") { _, context in
            let caller = try context.caller()
            guard caller.isAdmin else { throw NovaError.policy("rule:get_quota") }
            var list: [JSON] = []
            for project in try await store.projectsWithQuotas() {
                var json = quotaView(try await store.quotaLimits(project: project))
                json["project_id"] = .string(project)
                json["tenant_id"] = .string(project)
                list.append(.object(json))
            }
            return Response.json(["quotas": .array(list)])
        }
        v2.get("quotas/{project}") { _, context in
            let project = try quotaProject(context)
            return Response.json(["quota": .object(quotaView(try await store.quotaLimits(project: project)))])
        }
        v2.get("quotas/{project}/default") { _, context in
            let project = try quotaProject(context)
            var json = quotaView(options.defaultQuotas)
            json["project_id"] = .string(project)
            json["tenant_id"] = .string(project)
            return Response.json(["quota": .object(json)])
        }
        v2.get("quotas/{project}/details") { _, context in
            let project = try quotaProject(context)
            let limits = try await store.quotaLimits(project: project)
            let usage = try await store.quotaUsage(project: project)
            var json = JSONObject()
            for resource in NetworkQuota.resources {
                json[resource] = [
                    "limit": .int(limits[resource] ?? -1), "used": .int(usage[resource] ?? 0), "reserved": 0,
                ]
            }
            return Response.json(["quota": .object(json)])
        }
        v2.put("quotas/{project}") { request, context in
            let caller = try context.caller()
            guard caller.isAdmin else { throw NovaError.policy("rule:update_quota") }
            let project = context.parameter("project")
            let body = try await body(
                request, context, resource: "quota",
                allowed: Set(NetworkQuota.resources).union(["check_limit", "force"]))
            var limits: [String: Int] = [:]
            for resource in NetworkQuota.resources {
                if let limit = try CheckedInput.integer(
                    body[resource], field: resource, in: -1...CheckedInput.maxDatabaseInteger, allowString: true)
                {
                    limits[resource] = limit
                }
            }
            try await store.setQuotaLimits(project: project, limits)
            return Response.json(["quota": .object(quotaView(try await store.quotaLimits(project: project)))])
        }
        v2.delete("quotas/{project}") { _, context in
            let caller = try context.caller()
            guard caller.isAdmin else { throw NovaError.policy("rule:delete_quota") }
            try await store.deleteQuotaLimits(project: context.parameter("project"))
            return Response.empty(status: 204)
        }
    }

    /// The project of a quota path, readable by its members and by admins.
    func quotaProject(_ context: NovaRequestContext) throws -> String {
        let caller = try context.caller()
        let project = context.parameter("project")
        guard caller.isAdmin || project == caller.projectID else { throw NovaError.policy("rule:get_quota") }
        return project
    }

    func quotaView(_ limits: [String: Int]) -> JSONObject {
        JSONObject(NetworkQuota.resources.map { ($0, JSON.int(limits[$0] ?? -1)) })
    }
}
