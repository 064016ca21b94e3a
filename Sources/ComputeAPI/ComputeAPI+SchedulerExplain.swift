import APISupport
import Foundation
import Hummingbird
import NovaCore

/// `POST /os-scheduler-explain` (ours, admin): a server-create body in, what the scheduler would do out,
/// with nothing created or claimed: how many hosts Placement left out and why, what each filter removed,
/// the weighed hosts best first.
extension ComputeAPI {
    func registerSchedulerExplain(on v21: RouterGroup<NovaRequestContext>) {
        v21.post("os-scheduler-explain") { request, context in
            let caller = try context.caller()
            try PolicyRule.admin.enforce("os_compute_api:os-scheduler-explain", caller)
            guard let scheduler else { throw NovaError(.notImplemented, "No scheduler is configured.") }
            let body = try await request.jsonBody(context: context)
            guard let spec = body["server"]?.objectValue else {
                throw NovaError.badRequest("Invalid input for field/attribute server. 'server' is a required property")
            }
            let flavor = try await requestedFlavor(spec["flavorRef"], context)
            let (zone, forcedHost, skipFilters) = try await requestedZone(
                spec, version: context.apiVersion, caller: caller)
            var properties: [String: String] = [:]
            var imageRef = ""
            if let ref = spec["imageRef"]?.stringValue {
                guard let image = try await images.image(id: ref) else {
                    throw NovaError.badRequest("Image \(ref) could not be found.")
                }
                imageRef = image.id
                properties = try await schedulingProperties(image.id)
            }
            var requestSpec = RequestSpec(
                instanceUUIDs: [UUID().uuidString.lowercased()], projectID: caller.projectID, userID: caller.userID,
                flavor: flavor, imageRef: imageRef, availabilityZone: zone, forcedHost: forcedHost,
                schedulerHints: try Self.schedulerHints(body), imageProperties: properties)
            requestSpec.bypass = skipFilters ? .hostFilters : nil
            let explanation = try await scheduler.explain(requestSpec, context: context.rpcContext)
            return Response.json(["explanation": Self.explanationJSON(explanation)])
        }
    }

    static func explanationJSON(_ explanation: SchedulingExplanation) -> JSON {
        [
            "hosts": .int(explanation.hostCount),
            "placement": .array(
                explanation.placement.sorted { $0.key < $1.key }.map {
                    ["reason": .string($0.key), "hosts": .int($0.value)]
                }),
            "filters": .array(
                zip(explanation.filters, explanation.removed).map { ["name": .string($0), "removed": .int($1)] }),
            "weighed": .array(
                explanation.weighed.map {
                    [
                        "host": .string($0.host), "hypervisor_hostname": .string($0.nodename),
                        "weight": .double($0.weight),
                    ]
                }),
            "selected": .optional(explanation.weighed.first?.host),
            "message": .string(explanation.message),
        ]
    }
}
