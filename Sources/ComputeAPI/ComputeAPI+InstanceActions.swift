import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    func registerInstanceActions(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("servers/{id}/os-instance-actions") { request, context in
            let instance = try await visibleInstance(
                context.parameter("id"), context, allowDeleted: context.apiVersion >= APIVersion(2, 21))
            var actions = try await store.actions(instanceUUID: instance.uuid)
            var body = JSONObject()
            if context.apiVersion >= APIVersion(2, 58) {
                var since: Date?
                if let text = request.query["changes-since"] {
                    guard let date = Timestamp.parse(text) else {
                        throw NovaError.badRequest("Invalid changes-since value")
                    }
                    since = date
                    actions = actions.filter { ($0.updatedAt ?? $0.startTime) >= date }
                }
                if context.apiVersion >= APIVersion(2, 66), let text = request.query["changes-before"] {
                    guard let before = Timestamp.parse(text) else {
                        throw NovaError.badRequest("Invalid changes-before value")
                    }
                    if let since, before < since {
                        throw NovaError.badRequest(
                            "The value of changes-since must be less than or equal to changes-before.")
                    }
                    actions = actions.filter { ($0.updatedAt ?? $0.startTime) <= before }
                }
                let page = try Page(request.query, maxLimit: config.maxLimit)
                let (items, full) = try page.apply(actions, id: \.requestID)
                actions = items
                if full, let last = items.last {
                    body["links"] = Page.nextLink(
                        request, base: base(request), lastID: last.requestID, limit: page.limit)
                }
            }
            body["instanceActions"] = .array(actions.map { actionJSON($0, context) })
            return Response.json(.object(body))
        }
        v21.get("servers/{id}/os-instance-actions/{request}") { _, context in
            let caller = try context.caller()
            let instance = try await visibleInstance(
                context.parameter("id"), context, allowDeleted: context.apiVersion >= APIVersion(2, 21))
            guard
                let action = try await store.actions(
                    instanceUUID: instance.uuid, requestID: context.parameter("request")
                ).first
            else {
                throw NovaError.notFound(
                    "Action for request_id \(context.parameter("request")) on instance \(instance.uuid) not found")
            }
            var json = actionJSON(action, context).objectValue ?? [:]
            if caller.isAdmin || context.apiVersion >= APIVersion(2, 51) {
                json["events"] = .array(
                    action.events.map { eventJSON($0, instance: instance, caller: caller, context: context) })
            }
            return Response.json(["instanceAction": .object(json)])
        }
    }

    func actionJSON(_ action: InstanceActionRecord, _ context: NovaRequestContext) -> JSON {
        var json: JSONObject = [
            "action": .string(action.action), "instance_uuid": .string(action.instanceUUID),
            "message": .optional(action.message), "project_id": .string(action.projectID),
            "request_id": .string(action.requestID), "start_time": .string(Timestamp.naive(action.startTime)),
            "user_id": .string(action.userID),
        ]
        if context.apiVersion >= APIVersion(2, 58) {
            json["updated_at"] = .string(Timestamp.naive(action.updatedAt ?? action.startTime))
        }
        return .object(json)
    }

    func eventJSON(_ event: InstanceActionEvent, instance: Instance, caller: Credentials, context: NovaRequestContext)
        -> JSON
    {
        var json: JSONObject = [
            "event": .string(event.event), "start_time": .string(Timestamp.naive(event.startTime)),
            "finish_time": .optional(event.finishTime.map(Timestamp.naive)), "result": .optional(event.result),
        ]
        if caller.isAdmin { json["traceback"] = .optional(event.traceback) }
        if context.apiVersion >= APIVersion(2, 62) {
            if caller.isAdmin { json["host"] = .optional(event.host) }
            json["hostId"] = .string(ServerViewBuilder.hostID(projectID: instance.projectID, host: event.host))
        }
        // 2.84: what went wrong in a failed event (Nova's message of the fault), for admins as Nova's
        // events:details policy says.
        if context.apiVersion >= APIVersion(2, 84), caller.isAdmin {
            let failed = event.result == "Error"
            json["details"] = .optional(
                failed ? event.traceback.flatMap { $0.split(separator: "\n").first.map(String.init) } : nil)
        }
        return .object(json)
    }
}
