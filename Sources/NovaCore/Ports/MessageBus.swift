/// A message transport. Payloads are bytes, as on a real broker, so the in-process and NATS transports
/// carry exactly the same messages.
public protocol MessageBus: Sendable {
    /// Delivers to one subscriber of `topic` (a queue group) without waiting for a reply.
    func cast(topic: String, payload: [UInt8]) async throws
    /// Delivers to one subscriber of `topic` and waits for its reply.
    func call(topic: String, payload: [UInt8], timeout: Duration) async throws -> [UInt8]
    /// Registers a handler for `topic`; a handler's return value is the reply to a call.
    func subscribe(topic: String, handler: @escaping @Sendable ([UInt8]) async -> [UInt8]) async throws
    /// Publishes a notification: kept by the transport when it can store messages (NATS JetStream, acknowledged),
    /// else a cast.
    func publishNotification(topic: String, payload: [UInt8]) async throws
}

extension MessageBus {
    public func publishNotification(topic: String, payload: [UInt8]) async throws {
        try await cast(topic: topic, payload: payload)
    }
}
