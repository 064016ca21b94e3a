import Foundation

/// One run of a periodic task on one host for one period (Nova's task_log): the instance usage audit writes
/// one per host and audit period, RUNNING while it works and DONE after.
public struct TaskLog: Sendable, Codable, Equatable {
    public static let usageAudit = "instance_usage_audit"

    public var taskName: String
    public var state: String
    public var host: String
    public var periodBeginning: Date
    public var periodEnding: Date
    public var message: String
    public var taskItems: Int
    public var errors: Int

    public init(
        taskName: String, state: String, host: String, periodBeginning: Date, periodEnding: Date, message: String,
        taskItems: Int, errors: Int = 0
    ) {
        self.taskName = taskName
        self.state = state
        self.host = host
        self.periodBeginning = periodBeginning
        self.periodEnding = periodEnding
        self.message = message
        self.taskItems = taskItems
        self.errors = errors
    }
}

extension Instance {
    /// It ran at some time in [begin, end): launched before the end, not terminated before the beginning
    /// (Nova's instance_get_active_by_window_joined).
    public func ran(from begin: Date, to end: Date) -> Bool {
        guard let launched = launchedAt, launched < end else { return false }
        return terminatedAt.map { $0 > begin } ?? true
    }
}

/// The answer to a compute host starting its usage audit: the instances to audit, or none when this host has
/// already audited the period (`started` false).
public struct UsageAuditStart: Sendable, Codable, Equatable {
    public var started: Bool
    public var instances: [Instance]

    public init(started: Bool, instances: [Instance]) {
        self.started = started
        self.instances = instances
    }
}

/// `[DEFAULT] instance_usage_audit_period`: `hour`, `day`, `month` or `year`, with an optional `@offset` (the
/// minute, hour, day of the month or month of the year a period starts at), as Nova's
/// last_completed_audit_period reads it.
public struct AuditPeriod: Sendable, Equatable, CustomStringConvertible {
    public enum Unit: String, Sendable { case hour, day, month, year }

    public var unit: Unit
    public var offset: Int

    public static let monthly = AuditPeriod(unit: .month, offset: 0)

    public init(unit: Unit, offset: Int) {
        self.unit = unit
        self.offset = offset
    }

    /// Nil for text that is not a unit with an offset in its range (0-59 minutes, 0-23 hours, day 1-28, month
    /// 1-12; 0 for a month or year means the first).
    public init?(_ text: String) {
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        guard let first = parts.first, let unit = Unit(rawValue: first) else { return nil }
        var offset = 0
        if parts.count == 2 {
            guard let value = Int(parts[1]) else { return nil }
            offset = value
        }
        let range: ClosedRange<Int> =
            switch unit {
            case .hour: 0...59
            case .day: 0...23
            case .month: 0...28
            case .year: 0...12
            }
        guard range.contains(offset) else { return nil }
        self.init(unit: unit, offset: offset)
    }

    public var description: String { offset == 0 ? unit.rawValue : "\(unit.rawValue)@\(offset)" }

    /// The last whole period that ended before `date`, in UTC.
    public func lastCompleted(before date: Date) -> (begin: Date, end: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let now = calendar.dateComponents([.year, .month, .day, .hour], from: date)
        func make(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Date {
            calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
        }
        let year = now.year!
        let month = now.month!
        switch unit {
        case .hour:
            var end = make(year, month, now.day!, now.hour!, offset)
            if end >= date { end = end.addingTimeInterval(-3600) }
            return (end.addingTimeInterval(-3600), end)
        case .day:
            var end = make(year, month, now.day!, offset)
            if end >= date { end = calendar.date(byAdding: .day, value: -1, to: end)! }
            return (calendar.date(byAdding: .day, value: -1, to: end)!, end)
        case .month:
            let day = max(1, offset)
            var end = make(year, month, day)
            if end >= date { end = calendar.date(byAdding: .month, value: -1, to: end)! }
            return (calendar.date(byAdding: .month, value: -1, to: end)!, end)
        case .year:
            let first = max(1, offset)
            var end = make(year, first, 1)
            if end >= date { end = make(year - 1, first, 1) }
            return (calendar.date(byAdding: .year, value: -1, to: end)!, end)
        }
    }
}
