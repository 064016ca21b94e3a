import APISupport
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

extension VolumeAPI {
    /// Quotas (`os-quota-sets`), absolute limits and availability zones.
    func registerLimits(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("os-quota-sets/{target}") { request, context in
            let caller = try caller(context)
            let target = context.parameter("target")
            guard caller.isAdmin || target == caller.projectID else {
                throw NovaError.forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")
            }
            let usage = request.query.flag("usage") ?? false
            return Response.json(["quota_set": .object(try await quotaSet(target, usage: usage))])
        }
        v3.get("os-quota-sets/{target}/defaults") { _, context in
            _ = try caller(context)
            var set = JSONObject(options.defaultQuotas.map { ($0.key, JSON.int($0.value)) })
            set["id"] = .string(context.parameter("target"))
            return Response.json(["quota_set": .object(set)])
        }
        v3.put("os-quota-sets/{target}") { request, context in
            _ = try adminCaller(context, "volume_extension:quotas:update")
            let target = context.parameter("target")
            let body = try await body(request, context, resource: "quota_set")
            var limits: [String: Int] = [:]
            for (key, value) in body.entries where key != "tenant_id" && key != "id" {
                guard VolumeQuota.resources.contains(key) else {
                    throw NovaError.badRequest("Bad key(s) in quota set: \(key)")
                }
                limits[key] = try CheckedInput.integer(
                    value, field: key, in: -1...CheckedInput.maxDatabaseInteger, allowString: true)
            }
            try await store.setQuotas(project: target, limits)
            var set = JSONObject(try await store.quotaLimits(project: target).map { ($0.key, JSON.int($0.value)) })
            set["id"] = nil
            return Response.json(["quota_set": .object(set)])
        }
        v3.delete("os-quota-sets/{target}") { _, context in
            _ = try adminCaller(context, "volume_extension:quotas:delete")
            try await store.deleteQuotas(project: context.parameter("target"))
            return Response.empty(status: 200)
        }
        v3.get("limits") { _, context in
            let caller = try caller(context)
            let limits = try await store.quotaLimits(project: caller.projectID)
            let usage = try await store.quotaUsage(project: caller.projectID)
            let absolute: JSONObject = [
                "maxTotalVolumes": .int(limits["volumes"] ?? -1), "maxTotalSnapshots": .int(limits["snapshots"] ?? -1),
                "maxTotalVolumeGigabytes": .int(limits["gigabytes"] ?? -1),
                "maxTotalBackups": .int(limits["backups"] ?? -1),
                "maxTotalBackupGigabytes": .int(limits["backup_gigabytes"] ?? -1),
                "totalVolumesUsed": .int(usage["volumes"] ?? 0), "totalSnapshotsUsed": .int(usage["snapshots"] ?? 0),
                "totalGigabytesUsed": .int(usage["gigabytes"] ?? 0), "totalBackupsUsed": 0,
                "totalBackupGigabytesUsed": 0,
            ]
            return Response.json(["limits": ["rate": [], "absolute": .object(absolute)]])
        }
        v3.get("os-availability-zone") { _, context in
            _ = try caller(context)
            return Response.json([
                "availabilityZoneInfo": [
                    ["zoneName": .string(options.availabilityZone), "zoneState": ["available": true]]
                ]
            ])
        }
    }

    /// A project's quota set: each limit, or with `usage` each as `limit`, `in_use`, `reserved`, `allocated`.
    func quotaSet(_ project: String, usage withUsage: Bool) async throws -> JSONObject {
        let limits = try await store.quotaLimits(project: project)
        let usage = try await store.quotaUsage(project: project)
        var set: JSONObject = ["id": .string(project)]
        for resource in VolumeQuota.resources {
            let limit = limits[resource] ?? -1
            set[resource] =
                withUsage
                ? ["limit": .int(limit), "in_use": .int(usage[resource] ?? 0), "reserved": 0, "allocated": 0]
                : .int(limit)
        }
        return set
    }
}
