import Foundation
import NovaCore

extension ComputeManager {
    /// Nova's _instance_usage_audit: once per audit period the host reports every instance that ran on it in
    /// the last whole period (an `instance.exists` notification each) and leaves a task log saying how many and
    /// how many failed, which os-instance_usage_audit_log shows.
    public func auditInstanceUsage() async throws {
        let (begin, end) = config.instanceUsageAuditPeriod.lastCompleted(before: clock.now)
        var log = TaskLog(
            taskName: TaskLog.usageAudit, state: "RUNNING", host: config.host, periodBeginning: begin,
            periodEnding: end, message: "Instance usage audit started...", taskItems: 0)
        let start = try await conductor.beginUsageAudit(log, context: serviceContext)
        guard start.started else { return }
        let began = ContinuousClock.now
        logger.info(
            "Running instance usage audit for host \(config.host) from \(begin) to \(end). \(start.instances.count) instances."
        )
        var errors = 0
        for instance in start.instances {
            guard let notifier else { continue }
            if await !notifier.instanceExists(instance, periodBeginning: begin, periodEnding: end, at: clock.now) {
                errors += 1
            }
        }
        let seconds = (ContinuousClock.now - began).components.seconds
        log.state = "DONE"
        log.taskItems = start.instances.count
        log.errors = errors
        log.message =
            "Instance usage audit ran for host \(config.host), \(start.instances.count) instances in \(seconds) seconds."
        try await conductor.endTaskLog(log, context: serviceContext)
    }
}
