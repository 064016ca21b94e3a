import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    func registerHypervisors(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-hypervisors") { request, context in try await listHypervisors(request, context, detail: false) }
        v21.get("os-hypervisors/detail") { request, context in try await listHypervisors(request, context, detail: true)
        }
        v21.get("os-hypervisors/statistics") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-hypervisors:statistics", try context.caller())
            guard context.apiVersion < APIVersion(2, 88) else {
                throw NovaError.notFound("The resource could not be found.")
            }
            let nodes = try await nodesWithUsage()
            func sum(_ value: (ComputeNodeRecord) -> Int) -> JSON { .int(nodes.reduce(0) { $0 + value($1) }) }
            return Response.json([
                "hypervisor_statistics": [
                    "count": .int(nodes.count), "vcpus": sum { $0.report.total.vcpus },
                    "vcpus_used": sum { $0.used.vcpus },
                    "memory_mb": sum { $0.report.total.memoryMB },
                    "memory_mb_used": sum { $0.used.memoryMB + $0.report.reservedHostMemoryMB },
                    "free_ram_mb": sum { $0.report.total.memoryMB - $0.used.memoryMB - $0.report.reservedHostMemoryMB },
                    "local_gb": sum { $0.report.total.diskGB }, "local_gb_used": sum { $0.used.diskGB },
                    "free_disk_gb": sum { $0.report.total.diskGB - $0.used.diskGB },
                    "disk_available_least": sum { $0.report.total.diskGB - $0.used.diskGB },
                    "running_vms": sum { $0.instanceCount }, "current_workload": 0,
                ]
            ])
        }
        v21.get("os-hypervisors/{id}") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-hypervisors:show", try context.caller())
            let id = context.parameter("id")
            let nodes = try await nodesWithUsage()
            guard let node = nodes.first(where: { hypervisorID($0, context) == id }) else {
                if context.apiVersion >= APIVersion(2, 53), UUID(uuidString: id) == nil {
                    throw NovaError.badRequest("Invalid uuid \(id)")
                }
                throw NovaError.notFound("Hypervisor with ID '\(id)' could not be found.")
            }
            let services = try await store.services(binary: "nova-compute")
            var json = hypervisorJSON(node, services, context, detail: true)
            if context.apiVersion >= APIVersion(2, 53), request.query.flag("with_servers") == true {
                json["servers"] = try await hostedServers(node)
            }
            return Response.json(["hypervisor": .object(json)])
        }
        // Below 2.53: the hypervisors whose name holds the text, and with their servers (Nova's search and
        // servers routes, which 2.53 folded into the list's hypervisor_hostname_pattern and with_servers).
        for (suffix, withServers) in [("search", false), ("servers", true)] {
            v21.get(RouterPath(stringLiteral: "os-hypervisors/{id}/\(suffix)")) { _, context in
                try PolicyRule.admin.enforce(
                    "os_compute_api:os-hypervisors:\(withServers ? "servers" : "search")", try context.caller())
                guard context.apiVersion < APIVersion(2, 53) else {
                    throw NovaError.notFound("The resource could not be found.")
                }
                let pattern = context.parameter("id")
                let nodes = try await nodesWithUsage().filter { $0.report.hypervisorHostname.contains(pattern) }
                guard !nodes.isEmpty else {
                    throw NovaError.notFound("No hypervisor matching '\(pattern)' could be found.")
                }
                let services = try await store.services(binary: "nova-compute")
                var list: [JSON] = []
                for node in nodes {
                    var json = hypervisorJSON(node, services, context, detail: false)
                    if withServers {
                        let servers = try await hostedServers(node)
                        if servers.arrayValue?.isEmpty == false { json["servers"] = servers }
                    }
                    list.append(.object(json))
                }
                return Response.json(["hypervisors": .array(list)])
            }
        }
        v21.get("os-hypervisors/{id}/uptime") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-hypervisors:uptime", try context.caller())
            guard context.apiVersion < APIVersion(2, 88) else {
                throw NovaError.notFound("The resource could not be found.")
            }
            let nodes = try await nodesWithUsage()
            guard let node = nodes.first(where: { hypervisorID($0, context) == context.parameter("id") }) else {
                throw NovaError.notFound("Hypervisor with ID '\(context.parameter("id"))' could not be found.")
            }
            let services = try await store.services(binary: "nova-compute")
            var json = hypervisorJSON(node, services, context, detail: false)
            json["uptime"] = .string(Self.uptime())
            return Response.json(["hypervisor": .object(json)])
        }
    }

    /// Compute nodes with what Placement holds on their providers.
    func nodesWithUsage() async throws -> [ComputeNodeRecord] {
        let usages = try await placement.providerUsages()
        return try await store.computeNodes().map { node in
            var node = node
            if let usage = usages[node.uuid] {
                node.used = Resources(
                    vcpus: usage.usages["VCPU"] ?? 0, memoryMB: usage.usages["MEMORY_MB"] ?? 0,
                    diskGB: usage.usages["DISK_GB"] ?? 0)
                node.instanceCount = usage.consumers
            }
            return node
        }
    }

    func hypervisorID(_ node: ComputeNodeRecord, _ context: NovaRequestContext) -> String {
        context.apiVersion >= APIVersion(2, 53) ? node.uuid : String(node.id)
    }

    func listHypervisors(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> Response {
        try PolicyRule.admin.enforce("os_compute_api:os-hypervisors:list", try context.caller())
        var nodes = try await nodesWithUsage()
        if let pattern = request.query["hypervisor_hostname_pattern"], context.apiVersion >= APIVersion(2, 53) {
            nodes = nodes.filter { $0.report.hypervisorHostname.contains(pattern) }
            if nodes.isEmpty { throw NovaError.notFound("No hypervisor matching '\(pattern)' could be found.") }
        }
        let services = try await store.services(binary: "nova-compute")
        var body = JSONObject()
        var items = nodes
        if context.apiVersion >= APIVersion(2, 33) {
            let page = try Page(request.query, maxLimit: config.maxLimit)
            let (pageItems, full) = try page.apply(nodes) { hypervisorID($0, context) }
            items = pageItems
            if full, let last = pageItems.last {
                body["hypervisors_links"] = Page.nextLink(
                    request, base: base(request), lastID: hypervisorID(last, context), limit: page.limit)
            }
        }
        var list: [JSON] = []
        for node in items {
            var json = hypervisorJSON(node, services, context, detail: detail)
            if context.apiVersion >= APIVersion(2, 53), request.query.flag("with_servers") == true {
                json["servers"] = try await hostedServers(node)
            }
            list.append(.object(json))
        }
        body["hypervisors"] = .array(list)
        return Response.json(.object(body))
    }

    func hostedServers(_ node: ComputeNodeRecord) async throws -> JSON {
        let instances = try await store.listInstances(.init(host: node.report.host))
        return .array(instances.map { ["uuid": .string($0.uuid), "name": .string($0.instanceName)] })
    }

    func hypervisorJSON(
        _ node: ComputeNodeRecord, _ services: [ServiceRecord], _ context: NovaRequestContext, detail: Bool
    )
        -> JSONObject
    {
        let service = services.first { $0.host == node.report.host }
        let up = service?.isUp(now: clock.now, serviceDownTime: config.serviceDownTime) ?? false
        var json: JSONObject = [
            "id": context.apiVersion >= APIVersion(2, 53) ? .string(node.uuid) : .int(node.id),
            "hypervisor_hostname": .string(node.report.hypervisorHostname), "state": up ? "up" : "down",
            "status": service?.disabled == true ? "disabled" : "enabled",
        ]
        guard detail else { return json }
        let report = node.report
        if context.apiVersion < APIVersion(2, 88) {
            json["vcpus"] = .int(report.total.vcpus)
            json["memory_mb"] = .int(report.total.memoryMB)
            json["local_gb"] = .int(report.total.diskGB)
            json["vcpus_used"] = .int(node.used.vcpus)
            json["memory_mb_used"] = .int(node.used.memoryMB + report.reservedHostMemoryMB)
            json["local_gb_used"] = .int(node.used.diskGB)
            json["free_ram_mb"] = .int(report.total.memoryMB - node.used.memoryMB - report.reservedHostMemoryMB)
            json["free_disk_gb"] = .int(report.total.diskGB - node.used.diskGB)
            json["current_workload"] = 0
            json["running_vms"] = .int(node.instanceCount)
            json["disk_available_least"] = .int(report.total.diskGB - node.used.diskGB)
            json["cpu_info"] =
                context.apiVersion >= APIVersion(2, 28)
                ? [
                    "arch": "x86_64", "model": "fake", "vendor": "fake",
                    "topology": ["cores": .int(report.total.vcpus), "sockets": 1, "threads": 1], "features": [],
                ] : "{}"
        } else {
            json["uptime"] = .string(Self.uptime())
        }
        json["hypervisor_type"] = .string(report.hypervisorType)
        json["hypervisor_version"] = .int(report.hypervisorVersion)
        json["host_ip"] = .string(report.hostIP)
        var serviceJSON: JSONObject = [
            "host": .string(report.host), "disabled_reason": .optional(service?.disabledReason),
        ]
        serviceJSON["id"] = context.apiVersion >= APIVersion(2, 53) ? .optional(service?.uuid) : .optional(service?.id)
        json["service"] = .object(serviceJSON)
        return json
    }

    /// The host's uptime line, as `uptime` prints it (Nova reports the hypervisor host's).
    static func uptime() -> String {
        // checked: the machine's uptime, not a request value
        let seconds = Int(ProcessInfo.processInfo.systemUptime)
        let load =
            (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: ", ") ?? "0.00, 0.00, 0.00"
        return
            " \(Timestamp.iso(Date()).dropFirst(11).prefix(8)) up \(seconds / 86400) days, \((seconds % 86400) / 3600):\(String(format: "%02d", (seconds % 3600) / 60)),  load average: \(load)"
    }
}
