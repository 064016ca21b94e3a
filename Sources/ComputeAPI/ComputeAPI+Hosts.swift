import APISupport
import Foundation
import Hummingbird
import NovaCore

/// os-hosts, below 2.43 (nova/api/openstack/compute/hosts.py): the services' hosts by zone, a compute host's
/// resources (in total, in use, and held by each project's servers), and enabling or disabling it.
extension ComputeAPI {
    static let maxHostsVersion = APIVersion(2, 42)

    func registerHosts(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-hosts") { request, context in
            try hostsPolicy(context, "list")
            let zone = request.query["zone"] ?? ""
            var hosts: [JSON] = []
            for service in try await store.services() {
                let serviceZone = service.binary == "nova-compute" ? service.zone : config.internalAvailabilityZone
                guard zone.isEmpty || zone == serviceZone else { continue }
                hosts.append([
                    "host_name": .string(service.host), "service": .string(service.topic), "zone": .string(serviceZone),
                ])
            }
            return Response.json(["hosts": .array(hosts)])
        }
        v21.get("os-hosts/{host}") { _, context in
            try hostsPolicy(context, "show")
            let host = context.parameter("host")
            let nodes = try await nodesWithUsage().filter { $0.report.host == host }
            guard !nodes.isEmpty else { throw NovaError.notFound("Compute host \(host) could not be found.") }
            let instances = try await store.listInstances(.init(host: host))
            func total(_ value: (ComputeNodeRecord) -> Int) -> Int { nodes.reduce(0) { $0 + value($1) } }
            var resources = [
                hostResource(
                    host, "(total)",
                    Resources(
                        vcpus: total { $0.report.total.vcpus }, memoryMB: total { $0.report.total.memoryMB },
                        diskGB: total { $0.report.total.diskGB })),
                hostResource(
                    host, "(used_now)",
                    Resources(
                        vcpus: total { $0.used.vcpus },
                        memoryMB: total { $0.used.memoryMB + $0.report.reservedHostMemoryMB },
                        diskGB: total { $0.used.diskGB })),
                hostResource(host, "(used_max)", Self.flavorTotal(instances)),
            ]
            for project in Set(instances.map(\.projectID)).sorted() {
                resources.append(
                    hostResource(host, project, Self.flavorTotal(instances.filter { $0.projectID == project })))
            }
            return Response.json(["host": .array(resources)])
        }
        v21.put("os-hosts/{host}") { request, context in
            try hostsPolicy(context, "update")
            let body = try await request.jsonBody(context: context)
            let allowed: Set<String> = ["status", "maintenance_mode"]
            guard let fields = body.objectValue, !fields.entries.isEmpty, fields.keys.allSatisfy(allowed.contains)
            else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute. 'status' or 'maintenance_mode' is required, and nothing else")
            }
            for (field, value) in fields.entries where value.stringValue != "enable" && value.stringValue != "disable" {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute \(field). Value: \(value.serialized().prefix(64)). "
                        + "It must be 'enable' or 'disable'")
            }
            let service = try await computeService(context.parameter("host"))
            if fields["maintenance_mode"] != nil {
                throw NovaError(.notImplemented, "Virt driver does not implement host maintenance mode.")
            }
            let disable = fields["status"]?.stringValue == "disable"
            let updated = try await store.updateService(id: service.id) { record in
                record.disabled = disable
                record.disabledReason = disable ? record.disabledReason : nil
            }
            try await syncDisabledTrait(updated)
            return Response.json(["host": .string(service.host), "status": .string(disable ? "disabled" : "enabled")])
        }
        for (action, policy) in [("startup", "start"), ("shutdown", "shutdown"), ("reboot", "reboot")] {
            v21.get(RouterPath(stringLiteral: "os-hosts/{host}/\(action)")) { _, context -> Response in
                try hostsPolicy(context, policy)
                _ = try await computeService(context.parameter("host"))
                // No driver here powers its host off or on, as Nova's libvirt driver answers.
                throw NovaError(.notImplemented, "Virt driver does not implement host power management.")
            }
        }
    }

    func hostsPolicy(_ context: NovaRequestContext, _ action: String) throws {
        guard context.apiVersion <= Self.maxHostsVersion else {
            throw NovaError.notFound("The resource could not be found.")
        }
        try PolicyRule.admin.enforce("os_compute_api:os-hosts:\(action)", try context.caller())
    }

    func computeService(_ host: String) async throws -> ServiceRecord {
        guard let service = try await store.services(host: host, binary: "nova-compute").first else {
            throw NovaError.notFound("Compute host \(host) could not be found.")
        }
        return service
    }

    func hostResource(_ host: String, _ project: String, _ resources: Resources) -> JSON {
        [
            "resource": [
                "host": .string(host), "project": .string(project), "cpu": .int(resources.vcpus),
                "memory_mb": .int(resources.memoryMB), "disk_gb": .int(resources.diskGB),
            ]
        ]
    }

    /// What the servers' flavors ask for together (Nova's `(used_max)` and per-project lines).
    static func flavorTotal(_ instances: [Instance]) -> Resources {
        instances.reduce(Resources(vcpus: 0, memoryMB: 0, diskGB: 0)) { sum, instance in
            Resources(
                vcpus: sum.vcpus + instance.flavor.vcpus, memoryMB: sum.memoryMB + instance.flavor.memoryMB,
                diskGB: sum.diskGB + instance.flavor.rootGB + instance.flavor.ephemeralGB)
        }
    }
}
