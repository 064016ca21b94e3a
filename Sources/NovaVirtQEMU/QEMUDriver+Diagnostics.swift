import Foundation
import NovaCore
import NovaVirt
import QMP

#if canImport(Glibc)
    import Glibc
#endif

/// get_instance_diagnostics from what QEMU and the kernel keep: each vCPU's thread CPU time (QMP's
/// query-cpus-fast gives the threads, /proc their time), each disk's counters (query-blockstats), each NIC's
/// from its tap (/sys/class/net, turned to the guest's side), the process's uptime.
extension QEMUDriver {
    public func diagnostics(_ instance: Instance) async throws -> GuestDiagnostics {
        try requireGuest(instance)
        let state = await powerState(of: instance) ?? .noState
        let pid = runningPID(instance.uuid)
        var diagnostics = GuestDiagnostics(
            state: GuestDiagnostics.stateName(state), hypervisor: kvm ? "kvm" : "qemu", hypervisorOS: "linux",
            uptime: pid.flatMap(Self.processUptime), configDrive: instance.configDrive == "True")
        diagnostics.memoryMaximum = instance.flavor.memoryMB
        diagnostics.nics = (instance.vifs ?? []).map(Self.nicCounters)
        guard let pid, let client = connections[instance.uuid] else {
            // A stopped guest: its devices, no counters.
            diagnostics.cpus = (0..<instance.flavor.vcpus).map { GuestDiagnostics.CPU(id: $0) }
            return diagnostics
        }
        let cpus = try await client.execute("query-cpus-fast").arrayValue ?? []
        diagnostics.cpus = cpus.enumerated().map { index, cpu in
            let thread = cpu["thread-id"]?.intValue
            return GuestDiagnostics.CPU(
                id: cpu["cpu-index"]?.intValue ?? index, time: thread.flatMap { Self.threadCPUTime(pid: pid, $0) })
        }
        let blocks = try await client.execute("query-blockstats").arrayValue ?? []
        diagnostics.disks = blocks.filter { ($0["qdev"]?.stringValue ?? "").isEmpty == false }.enumerated().map {
            index, entry in
            let stats = entry["stats"]
            var disk = GuestDiagnostics.Disk(name: "vd" + String(UnicodeScalar(UInt8(97 + index % 26))))
            disk.readBytes = stats?["rd_bytes"]?.intValue
            disk.readRequests = stats?["rd_operations"]?.intValue
            disk.writeBytes = stats?["wr_bytes"]?.intValue
            disk.writeRequests = stats?["wr_operations"]?.intValue
            disk.errorsCount = ["failed_rd_operations", "failed_wr_operations", "failed_flush_operations"]
                .reduce(0) { $0 + (stats?[$1]?.intValue ?? 0) }
            return disk
        }
        return diagnostics
    }

    /// A NIC's counters from its tap; what the tap sends the guest receives.
    static func nicCounters(_ vif: GuestVIF) -> GuestDiagnostics.NIC {
        func counter(_ name: String) -> Int? {
            let path = "/sys/class/net/\(vif.devname)/statistics/\(name)"
            // checked: a counter the kernel wrote, not a request value
            return (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        var nic = GuestDiagnostics.NIC(macAddress: vif.mac)
        (nic.rxOctets, nic.rxErrors, nic.rxDrop, nic.rxPackets) =
            (counter("tx_bytes"), counter("tx_errors"), counter("tx_dropped"), counter("tx_packets"))
        (nic.txOctets, nic.txErrors, nic.txDrop, nic.txPackets) =
            (counter("rx_bytes"), counter("rx_errors"), counter("rx_dropped"), counter("rx_packets"))
        return nic
    }

    /// The fields of /proc/…/stat after the command name (so field 3 of proc(5) is index 0).
    static func statFields(_ path: String) -> [Substring]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    static var clockTicks: Int {
        #if canImport(Glibc)
            return max(1, sysconf(Int32(_SC_CLK_TCK)))
        #else
            return 100
        #endif
    }

    /// A thread's user and system time, in nanoseconds.
    static func threadCPUTime(pid: Int32, _ thread: Int) -> Int? {
        guard let fields = statFields("/proc/\(pid)/task/\(thread)/stat"), fields.count > 12,
            // checked: clock ticks the kernel wrote
            let user = Int(fields[11]), let system = Int(fields[12])
        else { return nil }
        return (user + system).multipliedReportingOverflow(by: 1_000_000_000 / clockTicks).partialValue
    }

    /// Seconds since the process started.
    static func processUptime(_ pid: Int32) -> Int? {
        guard let fields = statFields("/proc/\(pid)/stat"), fields.count > 19,
            // checked: clock ticks since boot, as the kernel wrote them
            let start = Int(fields[19]),
            let boot = (try? String(contentsOfFile: "/proc/uptime", encoding: .utf8))?.split(separator: " ").first
                .flatMap({ Double($0) })
        else { return nil }
        // checked: seconds of a running process, well inside Int
        return max(0, Int(boot) - start / clockTicks)
    }
}

extension QEMUDriver {
    /// QMP `inject-nmi` on the running guest (libvirt's injectNMI).
    public func injectNMI(_ instance: Instance) async throws {
        try requireGuest(instance)
        guard let client = connections[instance.uuid] else {
            throw NovaError.conflict("Instance \(instance.uuid) is not running: no NMI can be sent")
        }
        try await client.execute("inject-nmi")
    }
}

extension QEMUDriver {
    /// set_admin_password: through the guest agent (`guest-set-user-password`), for `os_admin_user` of the
    /// image (root by default), as libvirt's driver does. A guest whose image does not declare an agent is a
    /// 409 (InstanceAgentNotEnabled); an agent that does not answer or refuses is a failed set (409 too).
    public func setAdminPassword(_ instance: Instance, password: String) async throws {
        try requireGuest(instance)
        guard QEMUCommandLine.hasGuestAgent(instance) else {
            throw NovaError.conflict("QEMU guest agent is not enabled")
        }
        let user = instance.schedulingRequest?.imageProperties["os_admin_user"] ?? "root"
        do {
            try await QGAClient.execute(
                socketPath: paths(instance.uuid).agentSocket, "guest-set-user-password",
                [
                    "username": .string(user), "password": .string(Data(password.utf8).base64EncodedString()),
                    "crypted": .bool(false),
                ])
        } catch {
            throw NovaError.conflict(
                "Failed to set admin password on \(instance.uuid) because error setting admin password: \(error)")
        }
    }
}
