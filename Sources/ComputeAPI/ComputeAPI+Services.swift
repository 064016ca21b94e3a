import APISupport
import Foundation
import Hummingbird
import NovaCore
import PlacementCore

extension ComputeAPI {
    func registerServices(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-services") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-services:list", try context.caller())
            let services = try await store.services(host: request.query["host"], binary: request.query["binary"])
            return Response.json(["services": .array(services.map { serviceJSON($0, context) })])
        }
        // Before 2.53: PUT /os-services/{enable,disable,disable-log-reason,force-down} with host and binary.
        v21.put("os-services/{id}") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-services:update", try context.caller())
            let body = try await request.jsonBody(context: context)
            if context.apiVersion >= APIVersion(2, 53) {
                return try await updateService(id: context.parameter("id"), body: body, context: context)
            }
            return try await legacyServiceAction(context.parameter("id"), body: body, context: context)
        }
        v21.delete("os-services/{id}") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-services:delete", try context.caller())
            let service = try await findService(context.parameter("id"), context)
            try await store.deleteService(id: service.id)
            return Response.empty(status: 204)
        }
    }

    func findService(_ id: String, _ context: NovaRequestContext) async throws -> ServiceRecord {
        let services = try await store.services()
        let found =
            context.apiVersion >= APIVersion(2, 53)
            ? services.first { $0.uuid == id } : services.first { String($0.id) == id }
        guard let found else {
            // checked: only asks whether the id is numeric
            if context.apiVersion >= APIVersion(2, 53), Int(id) != nil || UUID(uuidString: id) == nil {
                throw NovaError.badRequest("Invalid uuid \(id)")
            }
            throw NovaError.notFound("Service \(id) could not be found.")
        }
        return found
    }

    func serviceJSON(_ service: ServiceRecord, _ context: NovaRequestContext) -> JSON {
        let up = service.isUp(now: clock.now, serviceDownTime: config.serviceDownTime)
        var json: JSONObject = [
            "id": context.apiVersion >= APIVersion(2, 53) ? .string(service.uuid) : .int(service.id),
            "binary": .string(service.binary), "disabled_reason": .optional(service.disabledReason),
            "host": .string(service.host),
            "state": up ? "up" : "down", "status": service.disabled ? "disabled" : "enabled",
            "updated_at": .optional((service.lastSeenUp ?? service.updatedAt).map(Timestamp.naive)),
            "zone": .string(service.binary == "nova-compute" ? service.zone : config.internalAvailabilityZone),
        ]
        if context.apiVersion >= APIVersion(2, 11) { json["forced_down"] = .bool(service.forcedDown) }
        return .object(json)
    }

    /// PUT /os-services/{uuid} (2.53+): status, disabled_reason and forced_down.
    func updateService(id: String, body: JSON, context: NovaRequestContext) async throws -> Response {
        let service = try await findService(id, context)
        let status = body["status"]?.stringValue
        let reason = body["disabled_reason"]?.stringValue
        let forcedDown = body["forced_down"]?.boolValue
        guard status != nil || forcedDown != nil else {
            throw NovaError.badRequest("Invalid input: 'status' or 'forced_down' is required")
        }
        if let status, status != "enabled", status != "disabled" {
            throw NovaError.badRequest(
                "Invalid input for field/attribute status. Value: \(status). It must be enabled or disabled")
        }
        if reason != nil, status != "disabled" {
            throw NovaError.badRequest("Specifying 'disabled_reason' with status other than 'disabled' is invalid.")
        }
        if let reason, reason.count > 255 {
            throw NovaError.badRequest("disabled_reason is longer than 255 characters")
        }
        if service.binary != "nova-compute" {
            throw NovaError.badRequest(
                "Updating a \(service.binary) service is not supported. Only nova-compute services can be updated.")
        }
        let updated = try await store.updateService(id: service.id) { record in
            if let status {
                record.disabled = status == "disabled"
                record.disabledReason = status == "disabled" ? reason : nil
            }
            if let forcedDown { record.forcedDown = forcedDown }
        }
        try await syncDisabledTrait(updated)
        return Response.json(["service": serviceJSON(updated, context)])
    }

    /// A disabled compute's providers carry COMPUTE_STATUS_DISABLED at once, so Placement stops offering them
    /// (Nova's compute_status_filter); the host's own report keeps it so.
    func syncDisabledTrait(_ service: ServiceRecord) async throws {
        guard service.binary == "nova-compute" else { return }
        for node in try await store.computeNodes() where node.report.host == service.host {
            try await placement.setTrait(
                StandardTraits.computeStatusDisabled, present: service.disabled,
                providerNamed: node.report.hypervisorHostname)
        }
    }

    func legacyServiceAction(_ action: String, body: JSON, context: NovaRequestContext) async throws -> Response {
        guard let host = body["host"]?.stringValue, let binary = body["binary"]?.stringValue else {
            throw NovaError.badRequest("Invalid input: 'host' and 'binary' are required")
        }
        guard let service = try await store.services(host: host, binary: binary).first else {
            throw NovaError.notFound("Host '\(host)' is not mapped to any cell")
        }
        let reason = body["disabled_reason"]?.stringValue
        let updated: ServiceRecord
        switch action {
        case "enable":
            updated = try await store.updateService(id: service.id) {
                $0.disabled = false
                $0.disabledReason = nil
            }
        case "disable", "disable-log-reason":
            if action == "disable-log-reason", reason == nil {
                throw NovaError.badRequest("Missing disabled reason field")
            }
            updated = try await store.updateService(id: service.id) {
                $0.disabled = true
                $0.disabledReason = reason
            }
        case "force-down":
            guard context.apiVersion >= APIVersion(2, 11), let forced = body["forced_down"]?.boolValue else {
                throw NovaError.badRequest("Invalid input: 'forced_down' is required")
            }
            updated = try await store.updateService(id: service.id) { $0.forcedDown = forced }
            return Response.json([
                "service": ["host": .string(host), "binary": .string(binary), "forced_down": .bool(updated.forcedDown)]
            ])
        default:
            throw NovaError.notFound("Unknown action \(action)")
        }
        try await syncDisabledTrait(updated)
        var json: JSONObject = [
            "host": .string(host), "binary": .string(binary), "status": updated.disabled ? "disabled" : "enabled",
        ]
        if action == "disable-log-reason" { json["disabled_reason"] = .optional(updated.disabledReason) }
        return Response.json(["service": .object(json)])
    }
}
