import NATSClient
import NovaCore

/// Versioned notifications kept in a JetStream stream (`[notifications] jetstream = true`): each publish
/// waits for the stream's acknowledgement, so a notification is stored once the operation goes on, and
/// consumers read them at their own pace, after restarts of theirs or of the server.
extension NATSBus {
    public static let notificationStream = "NOVA_NOTIFICATIONS"
    static let notificationSubjects = "nova.versioned_notifications.>"

    /// Creates the stream (file storage, a week of notifications) unless it exists with this configuration.
    func ensureNotificationStream() async throws {
        let config: JSON = [
            "name": .string(Self.notificationStream), "subjects": [.string(Self.notificationSubjects)],
            "storage": "file", "retention": "limits", "max_age": .int(7 * 24 * 3600 * 1_000_000_000),
        ]
        let reply = try await jetStreamAPI("STREAM.CREATE.\(Self.notificationStream)", config)
        if let error = reply["error"], error["err_code"]?.intValue != 10058 {
            throw NovaError.serviceUnavailable(
                "JetStream refused the notification stream: \(error["description"]?.stringValue ?? "\(error)")")
        }
    }

    /// A JetStream API request (`$JS.API.<operation>`) and its JSON answer.
    func jetStreamAPI(_ operation: String, _ body: JSON) async throws -> JSON {
        let reply: NATSMessage
        do {
            reply = try await connection.request("$JS.API." + operation, payload: body.bytes(), timeout: .seconds(5))
        } catch NATSError.noResponders {
            throw NovaError.serviceUnavailable("The NATS server has no JetStream (start nats-server with -js).")
        }
        guard let json = JSON.parse(reply.payload) else {
            throw NovaError.serviceUnavailable("JetStream answered \(operation) with no JSON")
        }
        return json
    }

    /// Publishes into the stream and waits for its acknowledgement (`{"stream": ..., "seq": N}`).
    func publishAcknowledged(_ subject: String, payload: [UInt8]) async throws -> Int {
        let reply: NATSMessage
        do {
            reply = try await connection.request(subject, payload: payload, timeout: .seconds(5))
        } catch NATSError.noResponders {
            throw NovaError.serviceUnavailable("No JetStream stream takes \(subject).")
        }
        let ack = JSON.parse(reply.payload)
        guard let sequence = ack?["seq"]?.intValue else {
            throw NovaError.serviceUnavailable(
                "JetStream did not acknowledge \(subject): \(ack?["error"]?["description"]?.stringValue ?? "no answer")"
            )
        }
        return sequence
    }
}
