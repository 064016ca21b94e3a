import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    static func insertAction(_ action: InstanceActionRecord, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO instance_actions (request_id, instance_uuid, action, user_id, project_id, start_time, updated_at, message)
            VALUES (\(bind: action.requestID), \(bind: action.instanceUUID), \(bind: action.action), \(bind: action.userID),
              \(bind: action.projectID), \(bind: action.startTime.stored), \(bind: action.startTime.stored), \(bind: action.message))
            """
        ).run()
    }

    static func recordEvent(_ event: ActionEventReport, in sql: any SQLDatabase) async throws {
        guard
            let action = try await sql.raw(
                """
                SELECT id FROM instance_actions WHERE instance_uuid = \(bind: event.instanceUUID)
                  AND request_id = \(bind: event.requestID) ORDER BY id DESC LIMIT 1
                """
            ).first()
        else { return }
        let actionID = try action.int("id")
        // The same report sent again (its answer was lost) is recorded once: a repeated finish finds its event
        // closed at the same time, a repeated start is not inserted again.
        if let result = event.result {
            let open = try await sql.raw(
                """
                SELECT id FROM instance_action_events WHERE action_id = \(bind: actionID) AND event = \(bind: event.event)
                  AND finish_time IS NULL ORDER BY id DESC LIMIT 1
                """
            ).first()
            if let open {
                try await sql.raw(
                    """
                    UPDATE instance_action_events SET finish_time = \(bind: event.time.stored), result = \(bind: result),
                      traceback = \(bind: event.traceback) WHERE id = \(bind: try open.int("id"))
                    """
                ).run()
            } else {
                let recorded = try await sql.raw(
                    """
                    SELECT id FROM instance_action_events WHERE action_id = \(bind: actionID) AND event = \(bind: event.event)
                      AND host = \(bind: event.host) AND finish_time = \(bind: event.time.stored)
                    """
                ).first()
                if recorded != nil { return }
                try await sql.raw(
                    """
                    INSERT INTO instance_action_events (action_id, event, start_time, finish_time, result, traceback, host)
                    VALUES (\(bind: actionID), \(bind: event.event), \(bind: event.time.stored), \(bind: event.time.stored),
                      \(bind: result), \(bind: event.traceback), \(bind: event.host))
                    """
                ).run()
            }
            if result == "Error" {
                try await sql.raw("UPDATE instance_actions SET message = 'Error' WHERE id = \(bind: actionID)").run()
            }
        } else {
            try await sql.raw(
                """
                INSERT INTO instance_action_events (action_id, event, start_time, host)
                SELECT \(bind: actionID), \(bind: event.event), \(bind: event.time.stored), \(bind: event.host)
                WHERE NOT EXISTS (
                  SELECT 1 FROM instance_action_events WHERE action_id = \(bind: actionID) AND event = \(bind: event.event)
                    AND host = \(bind: event.host) AND start_time = \(bind: event.time.stored))
                """
            ).run()
        }
        try await sql.raw(
            "UPDATE instance_actions SET updated_at = \(bind: event.time.stored) WHERE id = \(bind: actionID)"
        ).run()
    }

    public func recordAction(_ action: InstanceActionRecord) async throws {
        try await database.write { sql in try await Self.insertAction(action, in: sql) }
    }

    /// The actions of an instance, newest first; with `requestID`, only that one, with its events.
    public func actions(instanceUUID: String, requestID: String? = nil) async throws -> [InstanceActionRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM instance_actions WHERE instance_uuid = \(bind: instanceUUID)")
            if let requestID { text += " AND request_id = \(bind: requestID)" }
            text += " ORDER BY start_time DESC, id DESC"
            var actions: [InstanceActionRecord] = []
            for row in try await sql.raw(text).all() {
                var action = InstanceActionRecord(
                    requestID: try row.string("request_id"), action: try row.string("action"),
                    instanceUUID: instanceUUID, userID: try row.string("user_id"),
                    projectID: try row.string("project_id"), startTime: try row.date("start_time"),
                    updatedAt: try row.optionalDate("updated_at"), message: try row.optionalString("message"))
                if requestID != nil {
                    let events = try await sql.raw(
                        "SELECT * FROM instance_action_events WHERE action_id = \(bind: try row.int("id")) ORDER BY id"
                    ).all()
                    action.events = try events.map { event in
                        InstanceActionEvent(
                            event: try event.string("event"), startTime: try event.date("start_time"),
                            finishTime: try event.optionalDate("finish_time"),
                            result: try event.optionalString("result"),
                            traceback: try event.optionalString("traceback"), host: try event.optionalString("host"))
                    }
                }
                actions.append(action)
            }
            return actions
        }
    }
}
