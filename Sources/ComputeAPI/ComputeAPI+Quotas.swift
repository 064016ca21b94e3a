import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    func registerLimitsAndQuotas(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("limits") { request, context in
            let caller = try context.caller()
            var project = caller.projectID
            if let tenant = request.query["tenant_id"], tenant != project {
                try PolicyRule.admin.enforce("os_compute_api:limits:other_project", caller)
                project = tenant
            }
            return Response.json([
                "limits": ["rate": [], "absolute": try await absoluteLimits(project, caller, context)]
            ])
        }
        v21.get("os-quota-sets/{project}") { request, context in
            Response.json(["quota_set": try await quotaSet(request, context, detail: false)])
        }
        v21.get("os-quota-sets/{project}/detail") { request, context in
            Response.json(["quota_set": try await quotaSet(request, context, detail: true)])
        }
        v21.get("os-quota-sets/{project}/defaults") { _, context in
            _ = try context.caller()
            var json: JSONObject = ["id": .string(context.parameter("project"))]
            let defaults = try await store.quotaClassLimits(QuotaLimits.defaultClass)
            for resource in QuotaResource.visible(at: context.apiVersion) {
                json[resource.rawValue] = .int(defaults.limit(resource))
            }
            Self.addLegacyQuotaFields(&json, context.apiVersion) { .int($0) }
            return Response.json(["quota_set": .object(json)])
        }
        v21.put("os-quota-sets/{project}") { request, context in try await updateQuotas(request, context) }
        v21.delete("os-quota-sets/{project}") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-quota-sets:delete", try context.caller())
            if let user = request.query["user_id"] {
                try await store.deleteUserQuotas(projectID: context.parameter("project"), userID: user)
            } else {
                try await store.deleteQuotas(projectID: context.parameter("project"))
            }
            return Response.empty(status: 202)
        }
    }

    /// Fields quota-sets carried before 2.36 (network proxies); they read as -1/defaults as in Nova.
    static func addLegacyQuotaFields(_ json: inout JSONObject, _ version: APIVersion, _ value: (Int) -> JSON) {
        guard version < APIVersion(2, 36) else { return }
        json["fixed_ips"] = value(-1)
        json["floating_ips"] = value(10)
        json["security_group_rules"] = value(20)
        json["security_groups"] = value(10)
    }

    func quotaSet(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> JSON {
        let caller = try context.caller()
        let project = context.parameter("project")
        try PolicyRule.projectReaderOrAdmin.enforce("os_compute_api:os-quota-sets:show", caller, targetProject: project)
        // With `user_id`: that user's limits (its own over the project's) and what its servers use.
        let user = request.query["user_id"]
        let limits =
            if let user { try await store.quotaLimits(projectID: project, userID: user) } else {
                try await store.quotaLimits(projectID: project)
            }
        let usage = try await store.quotaUsage(projectID: project, userID: user)
        let keypairs = try await store.keyPairCount(userID: user ?? caller.userID)
        let groups =
            detail
            ? try await store.serverGroups(projectID: project).filter { user == nil || $0.userID == user }.count : 0
        var json: JSONObject = ["id": .string(project)]
        for resource in QuotaResource.visible(at: context.apiVersion) {
            let limit = limits.limit(resource)
            if detail {
                let used: Int
                switch resource {
                case .instances: used = usage.instances
                case .cores: used = usage.resources.vcpus
                case .ram: used = usage.resources.memoryMB
                case .keyPairs: used = keypairs
                case .serverGroups: used = groups
                // Counted per server, per group, or per request: a project has none in use (as Nova shows).
                default: used = 0
                }
                json[resource.rawValue] = ["in_use": .int(used), "limit": .int(limit), "reserved": 0]
            } else {
                json[resource.rawValue] = .int(limit)
            }
        }
        Self.addLegacyQuotaFields(&json, context.apiVersion) { value in
            detail ? ["in_use": 0, "limit": .int(value), "reserved": 0] : .int(value)
        }
        return .object(json)
    }

    func updateQuotas(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        try PolicyRule.admin.enforce("os_compute_api:os-quota-sets:update", try context.caller())
        let project = context.parameter("project")
        let body = try await request.jsonBody(context: context)
        guard let spec = body["quota_set"]?.objectValue else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute quota_set. 'quota_set' is a required property")
        }
        let force = spec["force"]?.boolValue ?? (spec["force"]?.stringValue?.lowercased() == "true")
        let legacy: Set<String> = ["fixed_ips", "floating_ips", "security_group_rules", "security_groups", "networks"]
        let user = request.query["user_id"]
        let bounds = try await settableQuotas(project: project, user: user)
        var changes: [QuotaResource: Int] = [:]
        for (key, value) in spec.entries where key != "force" {
            if legacy.contains(key), context.apiVersion < APIVersion(2, 36) { continue }
            guard let resource = QuotaResource(rawValue: key),
                QuotaResource.visible(at: context.apiVersion).contains(resource)
            else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute quota_set. Additional properties are not allowed ('\(key)' was unexpected)"
                )
            }
            let limit = try CheckedInput.requiredInteger(
                value, field: key, in: -1...CheckedInput.maxDatabaseInteger, allowString: true)
            if !force, let (minimum, maximum) = bounds[resource] {
                // -1 is unlimited: above any number.
                func ordered(_ value: Int) -> Int { value < 0 ? Int.max : value }
                if ordered(limit) < ordered(minimum) {
                    throw NovaError.badRequest(
                        "Quota limit \(limit) for \(key) must be greater than or equal to already used and reserved \(minimum)."
                    )
                }
                if ordered(limit) > ordered(maximum) {
                    throw NovaError.badRequest(
                        "Quota limit \(limit) for \(key) must be less than or equal to \(maximum).")
                }
            }
            changes[resource] = limit
        }
        if let user {
            try await store.setUserQuotas(projectID: project, userID: user, changes)
        } else {
            try await store.setQuotas(projectID: project, changes)
        }
        var result = try await quotaSet(request, context, detail: false).objectValue ?? [:]
        result["id"] = nil
        return Response.json(["quota_set": .object(result)])
    }

    /// Nova's get_settable_quotas: the range each limit may be set to. A project's limit must hold what its
    /// servers use and what its users' own limits add up to. A user's must hold what the user's servers use
    /// and fit in what the project's limit leaves beside the other users' own limits.
    func settableQuotas(project: String, user: String?) async throws -> [QuotaResource: (Int, Int)] {
        let projectLimits = try await store.quotaLimits(projectID: project)
        let totals = try await store.userQuotaTotals(projectID: project)
        let usage = try await store.quotaUsage(projectID: project, userID: user)
        var own: [String: Int] = [:]
        if let user { own = try await store.userQuotas(projectID: project, userID: user) }
        func used(_ resource: QuotaResource) -> Int {
            switch resource {
            case .instances: usage.instances
            case .cores: usage.resources.vcpus
            case .ram: usage.resources.memoryMB
            default: 0
            }
        }
        var bounds: [QuotaResource: (Int, Int)] = [:]
        for resource in QuotaResource.allCases {
            let limit = projectLimits.limit(resource)
            let granted = totals[resource.rawValue] ?? 0
            if user != nil {
                let left = limit < 0 ? -1 : max(0, limit - min(granted, limit))
                let mine = max(0, own[resource.rawValue] ?? 0)
                bounds[resource] = (used(resource), left < 0 ? -1 : left.saturatingAdd(mine))
            } else {
                bounds[resource] = (max(granted, used(resource)), -1)
            }
        }
        return bounds
    }

    func absoluteLimits(_ project: String, _ caller: Credentials, _ context: NovaRequestContext) async throws -> JSON {
        let limits = try await store.quotaLimits(projectID: project)
        let usage = try await store.quotaUsage(projectID: project)
        let version = context.apiVersion
        var json: JSONObject = [
            "maxServerMeta": .int(limits.limit(.metadataItems)),
            "maxTotalKeypairs": .int(limits.limit(.keyPairs)),
            "maxServerGroups": .int(limits.limit(.serverGroups)),
            "maxServerGroupMembers": .int(limits.limit(.serverGroupMembers)),
            "maxTotalCores": .int(limits.limit(.cores)),
            "maxTotalInstances": .int(limits.limit(.instances)),
            "maxTotalRAMSize": .int(limits.limit(.ram)),
            "totalCoresUsed": .int(usage.resources.vcpus),
            "totalInstancesUsed": .int(usage.instances),
            "totalRAMUsed": .int(usage.resources.memoryMB),
            "totalServerGroupsUsed": .int(try await store.serverGroups(projectID: project).count),
        ]
        if version < APIVersion(2, 57) {
            json["maxPersonality"] = .int(limits.limit(.injectedFiles))
            json["maxPersonalitySize"] = .int(limits.limit(.injectedFileContentBytes))
        }
        if version < APIVersion(2, 39) { json["maxImageMeta"] = 128 }
        if version < APIVersion(2, 36) {
            json["maxSecurityGroups"] = 10
            json["maxSecurityGroupRules"] = 20
            json["maxTotalFloatingIps"] = 10
            json["totalFloatingIpsUsed"] = 0
            json["totalSecurityGroupsUsed"] = 0
        }
        return .object(json)
    }
}
