import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Routes server events to the compute hosts of their servers (nova/compute/api.py external_instance_event):
/// what `os-server-external-events` does, and what the networking service in this process calls directly.
public struct ServerEventRouter: ServerEventSink {
    let store: ComputeStore
    let compute: ComputeRPCAPI
    let clock: any WallClock

    public init(store: ComputeStore, compute: ComputeRPCAPI, clock: any WallClock = SystemClock()) {
        self.store = store
        self.compute = compute
        self.clock = clock
    }

    public func send(_ events: [ServerExternalEvent]) async throws { _ = try await route(events) }

    /// Each event with its code: 200 sent to the server's host, 404 no such server, 422 a server on no host.
    /// A grown volume starts the server's `extend_volume` action, as in Nova.
    func route(_ events: [ServerExternalEvent]) async throws -> [ServerExternalEvent] {
        let hosts = try await store.instanceHosts(Array(Set(events.map(\.serverUUID))))
        let context = RPCContext.service("nova-api")
        var answered: [ServerExternalEvent] = []
        var byHost: [String: [ServerExternalEvent]] = [:]
        for var event in events {
            if let host = hosts[event.serverUUID] {
                event.code = 200
                byHost[host, default: []].append(event)
                if event.name == ServerExternalEvent.volumeExtended,
                    let instance = try await store.instance(uuid: event.serverUUID)
                {
                    try await store.recordAction(
                        InstanceActionRecord(
                            requestID: context.requestID, action: "extend_volume", instanceUUID: instance.uuid,
                            userID: instance.userID, projectID: instance.projectID, startTime: clock.now))
                }
            } else if let instance = try await store.instance(uuid: event.serverUUID), !instance.isDeleted {
                event.code = 422
            } else {
                event.code = 404
            }
            answered.append(event)
        }
        for (host, events) in byHost {
            try await compute.externalInstanceEvents(events, host: host, context: context)
        }
        return answered
    }
}

extension ComputeAPI {
    static let externalEventNames: [(name: String, since: APIVersion)] = [
        (ServerExternalEvent.networkChanged, .minimum), (ServerExternalEvent.vifPlugged, .minimum),
        (ServerExternalEvent.vifUnplugged, .minimum), (ServerExternalEvent.vifDeleted, .minimum),
        (ServerExternalEvent.volumeExtended, APIVersion(2, 51)), ("power-update", APIVersion(2, 76)),
        ("accelerator-request-bound", APIVersion(2, 82)), ("volume-reimaged", APIVersion(2, 93)),
    ]

    func registerExternalEvents(on v21: RouterGroup<NovaRequestContext>) {
        v21.post("os-server-external-events") { request, context in
            try PolicyRule.serviceOrAdmin.enforce(
                "os_compute_api:os-server-external-events:create", try context.caller())
            let body = try await request.jsonBody(context: context)
            let events = try Self.externalEvents(body, version: context.apiVersion)
            let answered = try await ServerEventRouter(store: store, compute: compute, clock: clock).route(events)
            let accepted = answered.filter { $0.code == 200 }.count
            if accepted == 0 { throw NovaError.notFound("No instances found for any event") }
            return Response.json(
                ["events": .array(answered.map(Self.eventView))], status: accepted == answered.count ? 200 : 207)
        }
    }

    static func externalEvents(_ body: JSON, version: APIVersion) throws -> [ServerExternalEvent] {
        guard let object = body.objectValue, object.keys == ["events"], let list = body["events"]?.arrayValue,
            !list.isEmpty
        else {
            throw NovaError.badRequest("Invalid input for field/attribute events: a non-empty list is required")
        }
        let names = externalEventNames.filter { version >= $0.since }.map(\.name)
        return try list.map { entry in
            guard let fields = entry.objectValue else {
                throw NovaError.badRequest("Invalid input for field/attribute events: each event is an object")
            }
            if let unknown = fields.keys.first(where: { !["name", "server_uuid", "tag", "status"].contains($0) }) {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute events. Additional properties are not allowed ('\(unknown)' was unexpected)"
                )
            }
            guard let name = entry["name"]?.stringValue, names.contains(name) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute name. Value must be one of \(names.joined(separator: ", "))")
            }
            guard let uuid = try CheckedInput.text(entry["server_uuid"], field: "server_uuid", length: 1...255) else {
                throw NovaError.badRequest("Invalid input for field/attribute server_uuid: it is required")
            }
            let status = try CheckedInput.text(entry["status"], field: "status", length: 1...32) ?? "completed"
            guard ["completed", "failed", "in-progress"].contains(status) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute status. Value must be one of failed, completed, in-progress")
            }
            let tag = try CheckedInput.text(entry["tag"], field: "tag", length: 0...255)
            return ServerExternalEvent(name: name, serverUUID: uuid, tag: tag, status: status)
        }
    }

    static func eventView(_ event: ServerExternalEvent) -> JSON {
        var view: JSONObject = [
            "name": .string(event.name), "server_uuid": .string(event.serverUUID), "status": .string(event.status),
            "code": .int(event.code ?? 200),
        ]
        if let tag = event.tag { view["tag"] = .string(tag) }
        return .object(view)
    }
}
