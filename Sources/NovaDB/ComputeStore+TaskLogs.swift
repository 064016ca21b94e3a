import Foundation
import NovaCore
import SQLKit

/// Task logs (Nova's task_log table): one row per periodic task, host and period.
extension ComputeStore {
    /// Records `log` as begun; false when the host has already finished that task for that period (nothing
    /// written). A log still RUNNING is begun again: the host stopped half way, or the answer to its begin was
    /// lost and it asked again.
    public func beginTaskLog(_ log: TaskLog) async throws -> Bool {
        try await database.write { sql in
            let existing = try await sql.raw(
                """
                SELECT state FROM task_logs WHERE task_name = \(bind: log.taskName) AND host = \(bind: log.host)
                  AND period_beginning = \(bind: log.periodBeginning.stored)
                  AND period_ending = \(bind: log.periodEnding.stored)
                """
            ).first()
            if let existing {
                return try existing.string("state") != "DONE"
            }
            try await sql.raw(
                """
                INSERT INTO task_logs (task_name, state, host, period_beginning, period_ending, message, task_items,
                  errors) VALUES (\(bind: log.taskName), \(bind: log.state), \(bind: log.host),
                  \(bind: log.periodBeginning.stored), \(bind: log.periodEnding.stored), \(bind: log.message),
                  \(bind: log.taskItems), \(bind: log.errors))
                """
            ).run()
            return true
        }
    }

    /// Stores the outcome of a begun log: its state, message, items and errors.
    public func endTaskLog(_ log: TaskLog) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE task_logs SET state = \(bind: log.state), message = \(bind: log.message),
                  task_items = \(bind: log.taskItems), errors = \(bind: log.errors)
                WHERE task_name = \(bind: log.taskName) AND host = \(bind: log.host)
                  AND period_beginning = \(bind: log.periodBeginning.stored)
                  AND period_ending = \(bind: log.periodEnding.stored)
                """
            ).run()
        }
    }

    /// Every host's log of `taskName` for the period.
    public func taskLogs(taskName: String, begin: Date, end: Date) async throws -> [TaskLog] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT * FROM task_logs WHERE task_name = \(bind: taskName)
                  AND period_beginning = \(bind: begin.stored) AND period_ending = \(bind: end.stored) ORDER BY host
                """
            ).all().map { row in
                TaskLog(
                    taskName: try row.string("task_name"), state: try row.string("state"),
                    host: try row.string("host"), periodBeginning: try row.date("period_beginning"),
                    periodEnding: try row.date("period_ending"), message: try row.string("message"),
                    taskItems: try row.int("task_items"), errors: try row.int("errors"))
            }
        }
    }

    /// Instances that ran on `host` at some time in [begin, end): launched before the end, and not terminated
    /// before the beginning, deleted ones included (Nova's get_active_by_window_joined).
    public func instancesActive(onHost host: String, from begin: Date, to end: Date) async throws -> [Instance] {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT uuid, data FROM instances WHERE host = \(bind: host)
                  AND (deleted = 0 OR updated_at >= \(bind: begin.stored)) ORDER BY created_at, uuid
                """
            ).all()
            return try decodedInstances.instances(rows.map { (try $0.string("uuid"), try $0.string("data")) })
                .filter { $0.ran(from: begin, to: end) }
        }
    }
}
