import APISupport
import Foundation
import Hummingbird
import NovaCore

/// GET /servers/{id}/diagnostics (admin): the host's hypervisor asked for the guest's counters; from 2.48 in
/// Nova's standard form, before it as the flat names libvirt's driver gave (cpu0_time, vda_read, ...).
extension ComputeAPI {
    func registerDiagnostics(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("servers/{id}/diagnostics") { _, context in
            let instance = try await visibleInstance(context.parameter("id"), context)
            try PolicyRule.admin.enforce(
                "os_compute_api:os-server-diagnostics", try context.caller(), targetProject: instance.projectID)
            guard let host = instance.host, instance.vmState != .building else {
                throw NovaError.conflict("Instance \(instance.uuid) has not been scheduled to a host yet")
            }
            let diagnostics = try await compute.diagnostics(instance, host: host, context: context.rpcContext)
            guard context.apiVersion >= APIVersion(2, 48) else {
                return Response.json(Self.flatDiagnostics(diagnostics))
            }
            return Response.json(Self.diagnosticsView(diagnostics))
        }
    }

    static func diagnosticsView(_ diagnostics: GuestDiagnostics) -> JSON {
        func number(_ value: Int?) -> JSON { value.map(JSON.int) ?? .null }
        return [
            "state": .string(diagnostics.state), "driver": "libvirt", "hypervisor": .optional(diagnostics.hypervisor),
            "hypervisor_os": .optional(diagnostics.hypervisorOS), "uptime": number(diagnostics.uptime),
            "config_drive": .bool(diagnostics.configDrive), "num_cpus": .int(diagnostics.cpus.count),
            "num_nics": .int(diagnostics.nics.count), "num_disks": .int(diagnostics.disks.count),
            "memory_details": ["maximum": number(diagnostics.memoryMaximum), "used": number(diagnostics.memoryUsed)],
            "cpu_details": .array(
                diagnostics.cpus.map {
                    ["id": .int($0.id), "time": number($0.time), "utilisation": number($0.utilisation)]
                }
            ),
            "nic_details": .array(
                diagnostics.nics.map { nic in
                    [
                        "mac_address": .optional(nic.macAddress), "rx_octets": number(nic.rxOctets),
                        "rx_errors": number(nic.rxErrors), "rx_drop": number(nic.rxDrop),
                        "rx_packets": number(nic.rxPackets), "rx_rate": .null, "tx_octets": number(nic.txOctets),
                        "tx_errors": number(nic.txErrors), "tx_drop": number(nic.txDrop),
                        "tx_packets": number(nic.txPackets), "tx_rate": .null,
                    ]
                }),
            "disk_details": .array(
                diagnostics.disks.map { disk in
                    [
                        "read_bytes": number(disk.readBytes), "read_requests": number(disk.readRequests),
                        "write_bytes": number(disk.writeBytes), "write_requests": number(disk.writeRequests),
                        "errors_count": number(disk.errorsCount),
                    ]
                }),
        ]
    }

    /// The form before 2.48: one flat object of the counters the hypervisor keeps.
    static func flatDiagnostics(_ diagnostics: GuestDiagnostics) -> JSON {
        var json = JSONObject()
        for cpu in diagnostics.cpus { if let time = cpu.time { json["cpu\(cpu.id)_time"] = .int(time) } }
        if let memory = diagnostics.memoryMaximum { json["memory"] = .int(memory.saturatingMultiply(1024)) }
        for disk in diagnostics.disks {
            let fields = [
                ("read", disk.readBytes), ("read_req", disk.readRequests), ("write", disk.writeBytes),
                ("write_req", disk.writeRequests), ("errors", disk.errorsCount),
            ]
            for (suffix, value) in fields { if let value { json["\(disk.name)_\(suffix)"] = .int(value) } }
        }
        for (index, nic) in diagnostics.nics.enumerated() {
            let fields = [
                ("rx", nic.rxOctets), ("rx_drop", nic.rxDrop), ("rx_errors", nic.rxErrors),
                ("rx_packets", nic.rxPackets), ("tx", nic.txOctets), ("tx_drop", nic.txDrop),
                ("tx_errors", nic.txErrors), ("tx_packets", nic.txPackets),
            ]
            for (suffix, value) in fields { if let value { json["vnet\(index)_\(suffix)"] = .int(value) } }
        }
        return .object(json)
    }
}
