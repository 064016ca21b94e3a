import Logging
import NATSClient
import NovaCore

/// The scale-out transport: every topic is a NATS subject (`nova.<topic>`) served by a queue group of the
/// same name, so a cast or call reaches one of the services listening (one of N conductors), and a compute
/// host's own topic (`compute.<host>`) reaches that host. A call is a NATS request: no subscriber is an
/// immediate error (the server's no-responders status), not a timeout.
public final class NATSBus: ServiceBus {
    let connection: NATSConnection
    let logger: Logger
    /// Notifications go into the JetStream stream `NOVA_NOTIFICATIONS`, acknowledged.
    let jetStreamNotifications: Bool

    /// Connects; with `jetStreamNotifications`, also makes sure the notification stream exists.
    public static func connect(url: String, name: String, logger: Logger, jetStreamNotifications: Bool = false)
        async throws -> NATSBus
    {
        let connection = try await NATSConnection.connect(try NATSConnection.Options(url: url, name: name))
        let bus = NATSBus(connection: connection, logger: logger, jetStreamNotifications: jetStreamNotifications)
        if jetStreamNotifications { try await bus.ensureNotificationStream() }
        return bus
    }

    init(connection: NATSConnection, logger: Logger, jetStreamNotifications: Bool = false) {
        self.connection = connection
        self.logger = logger
        self.jetStreamNotifications = jetStreamNotifications
    }

    public func publishNotification(topic: String, payload: [UInt8]) async throws {
        guard jetStreamNotifications else { return try await cast(topic: topic, payload: payload) }
        // At-least-once: a lost acknowledgement is retried; consumers see a duplicate rather than nothing.
        for attempt in 1...3 {
            do {
                _ = try await publishAcknowledged(Self.subject(topic), payload: payload)
                return
            } catch {
                logger.warning("notification on \(topic) not acknowledged (attempt \(attempt) of 3): \(error)")
                if attempt == 3 { throw error }
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    static func subject(_ topic: String) -> String { "nova." + topic }

    public func cast(topic: String, payload: [UInt8]) async throws {
        do {
            try await connection.publish(Self.subject(topic), payload: payload)
        } catch {
            throw NovaError(.serviceUnavailable, "The message bus is not available: \(error)")
        }
    }

    public func call(topic: String, payload: [UInt8], timeout: Duration) async throws -> [UInt8] {
        do {
            return try await connection.request(Self.subject(topic), payload: payload, timeout: timeout).payload
        } catch NATSError.noResponders {
            throw NovaError(.serviceUnavailable, "No service is listening on topic \(topic).")
        } catch NATSError.timedOut {
            throw NovaError(.timeout, "Timed out waiting for a reply (\(timeout)).")
        } catch {
            throw NovaError(.serviceUnavailable, "The message bus is not available: \(error)")
        }
    }

    /// Each message is handled in a task of its own; a call's reply goes to its reply subject.
    public func subscribe(topic: String, handler: @escaping @Sendable ([UInt8]) async -> [UInt8]) async throws {
        let subscription = try await connection.subscribe(Self.subject(topic), queue: Self.subject(topic))
        let connection = connection
        let logger = logger
        Task {
            await withDiscardingTaskGroup { group in
                for await message in subscription.messages {
                    group.addTask {
                        let reply = await handler(message.payload)
                        guard let replyTo = message.replyTo else { return }
                        do {
                            try await connection.publish(replyTo, payload: reply)
                        } catch {
                            logger.warning("could not reply on \(topic): \(error)")
                        }
                    }
                }
            }
        }
    }

    /// Waits until the connection is closed by `shutdown()`.
    public func run() async { await connection.waitUntilClosed() }

    public func shutdown() {
        let connection = connection
        Task { await connection.close() }
    }
}
