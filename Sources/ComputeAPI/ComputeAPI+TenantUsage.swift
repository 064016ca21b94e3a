import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// os-simple-tenant-usage (nova/api/openstack/compute/simple_tenant_usage.py): what each project's servers
/// used over a period, from the instance records (deleted ones too): hours between launch and
/// termination inside the period, times the flavor's vCPUs, memory and disk.
extension ComputeAPI {
    func registerTenantUsage(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-simple-tenant-usage") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-simple-tenant-usage:list", try context.caller())
            let (start, stop) = try Self.usagePeriod(request.query)
            let detailed = request.query.flag("detailed") == true
            var body: JSONObject = [:]
            let instances = try await usagePage(
                try await usedInstances(project: nil, start: start, stop: stop), request, context, &body,
                links: "tenant_usages_links")
            let usages = Self.tenantUsages(instances, start: start, stop: stop, detailed: detailed, now: clock.now)
            body["tenant_usages"] = .array(usages.map(JSON.object))
            return Response.json(.object(body))
        }
        v21.get("os-simple-tenant-usage/{project}") { request, context in
            let project = context.parameter("project")
            try PolicyRule.projectReaderOrAdmin.enforce(
                "os_compute_api:os-simple-tenant-usage:show", try context.caller(), targetProject: project)
            let (start, stop) = try Self.usagePeriod(request.query)
            var body: JSONObject = [:]
            let instances = try await usagePage(
                try await usedInstances(project: project, start: start, stop: stop), request, context, &body,
                links: "tenant_usage_links")
            let usage = Self.tenantUsages(instances, start: start, stop: stop, detailed: true, now: clock.now).first
            body["tenant_usage"] = .object(usage ?? [:])
            return Response.json(.object(body))
        }
    }

    /// From 2.40 the usage is paged by server (`limit`, `marker`), with a next link when the page is full.
    func usagePage(
        _ instances: [Instance], _ request: Request, _ context: NovaRequestContext, _ body: inout JSONObject,
        links: String
    ) throws -> [Instance] {
        guard context.apiVersion >= APIVersion(2, 40) else { return instances }
        let page = try Page(request.query, maxLimit: config.maxLimit)
        let (items, full) = try page.apply(instances, id: \.uuid)
        if full, let last = items.last {
            body[links] = Page.nextLink(request, base: base(request), lastID: last.uuid, limit: page.limit)
        }
        return items
    }

    /// The servers that ran at some time in the period, oldest first.
    func usedInstances(project: String?, start: Date, stop: Date) async throws -> [Instance] {
        try await store.listInstances(.init(projectID: project, includeDeleted: true)).filter {
            $0.ran(from: start, to: stop)
        }.sorted { ($0.createdAt, $0.uuid) < ($1.createdAt, $1.uuid) }
    }

    /// `start` and `end` as Nova reads them (ISO 8601 without a zone, `T` or a space); now when absent.
    static func usagePeriod(_ query: QueryParameters) throws -> (Date, Date) {
        func date(_ name: String) throws -> Date? {
            guard let text = query[name] else { return nil }
            var value = text
            if value.count > 10, value[value.index(value.startIndex, offsetBy: 10)] == " " {
                value.replaceSubrange(
                    value.index(value.startIndex, offsetBy: 10)...value.index(value.startIndex, offsetBy: 10), with: "T"
                )
            }
            guard let parsed = Timestamp.parse(value) else {
                throw NovaError.badRequest("Invalid \(name) time: \(text.prefix(64))")
            }
            return parsed
        }
        let now = Date()
        let start = try date("start") ?? now
        let stop = try date("end") ?? now
        guard start <= stop else {
            throw NovaError.badRequest("Invalid start time. The start time cannot occur after the end time.")
        }
        return (start, stop)
    }

    /// One summary per project, in the order their first server comes; each server's hours are those it ran
    /// inside the period.
    static func tenantUsages(_ instances: [Instance], start: Date, stop: Date, detailed: Bool, now: Date)
        -> [JSONObject]
    {
        var order: [String] = []
        var summaries: [String: JSONObject] = [:]
        var totals: [String: (disk: Double, vcpus: Double, memory: Double, hours: Double)] = [:]
        var servers: [String: [JSON]] = [:]
        for instance in instances {
            let hours = hoursUsed(instance, start: start, stop: stop)
            let flavor = instance.flavor
            let localGB = flavor.rootGB.saturatingAdd(flavor.ephemeralGB)
            let ended = instance.terminatedAt
            let launched = instance.launchedAt ?? instance.createdAt
            // checked: seconds between two stored dates
            let uptime = Int((ended ?? now).timeIntervalSince(launched))
            let project = instance.projectID
            if summaries[project] == nil {
                order.append(project)
                summaries[project] = [
                    "tenant_id": .string(project), "start": .string(Timestamp.naive(start)),
                    "stop": .string(Timestamp.naive(stop)),
                ]
            }
            var total = totals[project] ?? (0, 0, 0, 0)
            total.disk += Double(localGB) * hours
            total.vcpus += Double(flavor.vcpus) * hours
            total.memory += Double(flavor.memoryMB) * hours
            total.hours += hours
            totals[project] = total
            if detailed {
                servers[project, default: []].append([
                    "instance_id": .string(instance.uuid), "name": .string(instance.displayName),
                    "hours": .double(hours), "memory_mb": .int(flavor.memoryMB), "local_gb": .int(localGB),
                    "vcpus": .int(flavor.vcpus), "tenant_id": .string(project), "flavor": .string(flavor.name),
                    "started_at": .string(Timestamp.naive(launched)),
                    "ended_at": .optional(ended.map(Timestamp.naive)),
                    "state": .string(ended == nil ? instance.vmState.rawValue : "terminated"), "uptime": .int(uptime),
                ])
            }
        }
        return order.map { project in
            var summary = summaries[project] ?? [:]
            let total = totals[project] ?? (0, 0, 0, 0)
            summary["total_local_gb_usage"] = .double(total.disk)
            summary["total_vcpus_usage"] = .double(total.vcpus)
            summary["total_memory_mb_usage"] = .double(total.memory)
            summary["total_hours"] = .double(total.hours)
            if detailed { summary["server_usages"] = .array(servers[project] ?? []) }
            return summary
        }
    }

    /// Hours the server ran inside the period (Nova's _hours_for).
    static func hoursUsed(_ instance: Instance, start: Date, stop: Date) -> Double {
        guard let launched = instance.launchedAt, launched <= stop else { return 0 }
        if let terminated = instance.terminatedAt, terminated < start { return 0 }
        let from = max(launched, start)
        let to = min(stop, instance.terminatedAt ?? stop)
        return max(0, to.timeIntervalSince(from) / 3600)
    }
}
