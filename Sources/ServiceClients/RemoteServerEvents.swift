import NovaCore

/// Nova's `os-server-external-events` over HTTP with the service's credentials: how a networking service in
/// its own process tells Nova of its servers' ports (Neutron's `[nova]` section).
public struct RemoteServerEvents: ServerEventSink {
    let session: ServiceSession

    public init(session: ServiceSession) { self.session = session }

    public func send(_ events: [ServerExternalEvent]) async throws {
        let body: JSON = [
            "events": .array(
                events.map { event in
                    var fields: JSONObject = [
                        "name": .string(event.name), "server_uuid": .string(event.serverUUID),
                        "status": .string(event.status),
                    ]
                    if let tag = event.tag { fields["tag"] = .string(tag) }
                    return .object(fields)
                })
        ]
        let response = try await session.send("compute", .POST, "/os-server-external-events", json: body)
        // 207 and 404 say some or all servers are gone or not placed: nothing to send again.
        guard response.isSuccess || response.status == 404 else {
            throw NovaError.serviceUnavailable("Nova refused server events: \(response.errorMessage)")
        }
    }
}
