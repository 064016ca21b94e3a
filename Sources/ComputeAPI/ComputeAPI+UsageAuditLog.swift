import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// os-instance_usage_audit_log (admin): how far the compute hosts' usage audit of the last whole audit period
/// got, from the task logs they leave (`ComputeManager.auditInstanceUsage`); `/{before}` looks at the period
/// that ended last before a time.
extension ComputeAPI {
    func registerUsageAuditLog(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-instance_usage_audit_log") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-instance-usage-audit-log:list", try context.caller())
            return Response.json(["instance_usage_audit_logs": try await usageAuditLog(before: clock.now)])
        }
        v21.get("os-instance_usage_audit_log/{before}") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-instance-usage-audit-log:show", try context.caller())
            let text = context.parameter("before")
            guard let before = Self.auditTimestamp(text.removingPercentEncoding ?? text) else {
                throw NovaError.badRequest("Invalid timestamp for date \(text)")
            }
            return Response.json(["instance_usage_audit_log": try await usageAuditLog(before: before)])
        }
    }

    /// `YYYY-MM-DD HH:MM:SS`, with `.ffffff` optional, in UTC (Nova's strptime forms).
    static func auditTimestamp(_ text: String) -> Date? {
        let parts = text.split(separator: ".", maxSplits: 1)
        guard let whole = parts.first, whole.count == 19,
            let date = try? Date(
                whole.replacingOccurrences(of: " ", with: "T") + "Z", strategy: .iso8601)
        else { return nil }
        guard parts.count == 2 else { return date }
        guard let digits = parts.last, (1...6).contains(digits.count), digits.allSatisfy(\.isNumber),
            let fraction = Double("0." + digits)
        else { return nil }
        return date.addingTimeInterval(fraction)
    }

    /// Nova's _get_audit_task_logs: every compute host (disabled ones too), which have a log for the period,
    /// which finished, the totals, and each log.
    func usageAuditLog(before: Date) async throws -> JSON {
        let (begin, end) = config.instanceUsageAuditPeriod.lastCompleted(before: before)
        let logs = try await store.taskLogs(taskName: TaskLog.usageAudit, begin: begin, end: end)
        let hosts = Set(try await store.services(binary: "nova-compute").map(\.host))
        let seen = Set(logs.map(\.host))
        let done = Set(logs.filter { $0.state == "DONE" }.map(\.host))
        let running = Set(logs.filter { $0.state == "RUNNING" }.map(\.host))
        let errors = logs.reduce(0) { $0 + $1.errors }
        let items = logs.reduce(0) { $0 + $1.taskItems }
        var log = JSONObject()
        for entry in logs {
            log.append(
                entry.host,
                [
                    "state": .string(entry.state), "instances": .int(entry.taskItems), "errors": .int(entry.errors),
                    "message": .string(entry.message),
                ])
        }
        let doneText = done.count == hosts.count ? "ALL" : "\(done.count) of \(hosts.count)"
        return [
            "period_beginning": .string(Self.pythonTime(begin)), "period_ending": .string(Self.pythonTime(end)),
            "num_hosts": .int(hosts.count), "num_hosts_done": .int(done.count),
            "num_hosts_running": .int(running.count), "num_hosts_not_run": .int(hosts.subtracting(seen).count),
            "hosts_not_run": .array(hosts.subtracting(seen).sorted().map(JSON.string)),
            "total_instances": .int(items), "total_errors": .int(errors),
            "overall_status": .string("\(doneText) hosts done. \(errors) errors."), "log": .object(log),
        ]
    }

    /// Python's str() of a whole-second datetime: `2026-11-01 00:00:00`.
    static func pythonTime(_ date: Date) -> String {
        String(Timestamp.iso(date).prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}
