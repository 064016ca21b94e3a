import Foundation
import NIOCore
import NIOPosix

public enum NATSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A request's subject had no subscriber (the server's 503 status).
    case noResponders(String)
    case timedOut(String)
    case connectionClosed
    case server(String)

    public var description: String {
        switch self {
        case .noResponders(let subject): return "no responders on \(subject)"
        case .timedOut(let what): return "timed out waiting for \(what)"
        case .connectionClosed: return "the NATS connection is closed"
        case .server(let message): return "NATS server error: \(message)"
        }
    }
}

/// A subscription's messages, in order; the stream ends when the subscription or the connection ends.
public struct NATSSubscription: Sendable {
    public let sid: UInt64
    public let messages: AsyncStream<NATSMessage>
}

/// A NATS client connection on SwiftNIO: CONNECT with headers and no_responders, PING/PONG, subscriptions
/// (with queue groups), request/reply over one wildcard inbox subscription, and reconnection that subscribes
/// again and sends what was published while the server was away (up to `reconnectBufferBytes`).
public actor NATSConnection {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var name: String
        public var reconnectWait: Duration = .milliseconds(200)
        public var reconnectBufferBytes = 8 << 20
        public var connectTimeout: Duration = .seconds(5)

        public init(host: String, port: Int, name: String = "nova") {
            self.host = host
            self.port = port
            self.name = name
        }

        /// `nats://host:port` (the port defaults to 4222).
        public init(url: String, name: String = "nova") throws {
            guard let components = URLComponents(string: url), components.scheme == "nats",
                let host = components.host
            else { throw NATSProtocolError("not a nats:// URL: \(url)") }
            self.init(host: host, port: components.port ?? 4222, name: name)
        }
    }

    struct Subscription {
        var subject: String
        var queue: String?
        var sink: AsyncStream<NATSMessage>.Continuation
    }

    let options: Options
    private var parser = NATSParser()
    private var outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    private var connected = false
    /// CONNECT (with the subscriptions) went out on the current connection; later SUBs follow it.
    private var handshakeSent = false
    private var closed = false
    private var subscriptions: [UInt64: Subscription] = [:]
    private var nextSID: UInt64 = 1
    private let inboxPrefix = "_INBOX." + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    private var inboxSID: UInt64?
    private var nextToken = 0
    /// Requests waiting for their reply, by inbox token, with the subject they went to.
    private var requests: [String: (subject: String, waiter: CheckedContinuation<NATSMessage, any Error>)] = [:]
    private var pongWaiters: [CheckedContinuation<Void, any Error>] = []
    private var pending: [UInt8] = []
    private var reader: Task<Void, Never>?
    private var connectedWaiters: [CheckedContinuation<Void, any Error>] = []
    public private(set) var serverInfo = ""
    /// How many times the connection was established (1 after `connect`, more after reconnections).
    public private(set) var connections = 0

    private init(options: Options) { self.options = options }

    /// Connects, sends CONNECT and waits for the server's PONG to the first PING.
    public static func connect(_ options: Options) async throws -> NATSConnection {
        let connection = NATSConnection(options: options)
        try await connection.start()
        return connection
    }

    private func start() async throws {
        let channel = try await open()
        reader = Task { await self.run(first: channel) }
        try await waitUntilConnected()
    }

    private func open() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.init(options.connectTimeout))
            .connect(host: options.host, port: options.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func waitUntilConnected() async throws {
        if connected { return }
        if closed { throw NATSError.connectionClosed }
        let timer = Task {
            try await Task.sleep(for: options.connectTimeout)
            self.failConnectedWaiters(NATSError.timedOut("the NATS handshake"))
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { connectedWaiters.append($0) }
    }

    private func failConnectedWaiters(_ error: any Error) {
        let waiters = connectedWaiters
        connectedWaiters = []
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    /// Serves connections until `close()`: each one is read to its end, then the next is opened.
    private func run(first: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        var channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>? = first
        while !closed {
            if let current = channel { await serve(current) }
            channel = nil
            connected = false
            handshakeSent = false
            outbound = nil
            parser = NATSParser()
            // Requests stay: the inbox is subscribed again on the next connection, so a reply the responder
            // sends after it comes back still arrives; otherwise each request ends at its own timeout.
            let pongs = pongWaiters
            pongWaiters = []
            for waiter in pongs { waiter.resume(throwing: NATSError.connectionClosed) }
            if closed || Task.isCancelled { break }
            try? await Task.sleep(for: options.reconnectWait)
            channel = try? await open()
        }
        for subscription in subscriptions.values { subscription.sink.finish() }
        subscriptions = [:]
        let unanswered = requests
        requests = [:]
        for (_, request) in unanswered { request.waiter.resume(throwing: NATSError.connectionClosed) }
        failConnectedWaiters(NATSError.connectionClosed)
    }

    private func serve(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                self.outbound = outbound
                for try await buffer in inbound {
                    parser.append(buffer.readableBytesView)
                    while let op = try parser.next() { try await handle(op) }
                    if closed { break }
                }
            }
        } catch {}
    }

    private func handle(_ op: NATSServerOp) async throws {
        switch op {
        case .info(let json):
            serverInfo = json
            if !handshakeSent { try await handshake() }
        case .ping:
            try await write(NATSClientOp.pong)
        case .pong:
            if !connected {
                connected = true
                connections += 1
                let waiters = connectedWaiters
                connectedWaiters = []
                for waiter in waiters { waiter.resume() }
                try await flushPending()
            } else if !pongWaiters.isEmpty {
                pongWaiters.removeFirst().resume()
            }
        case .ok:
            break
        case .error(let message):
            if !connected { failConnectedWaiters(NATSError.server(message)) }
        case .message(let message):
            deliver(message)
        }
    }

    /// CONNECT, the subscriptions again (after a reconnection), then PING: its PONG means all were taken.
    private func handshake() async throws {
        let connect = """
            {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"name":\(Self.quoted(options.name)),\
            "lang":"swift","version":"0.1.0","protocol":1}
            """
        var bytes = NATSClientOp.connect(json: connect)
        for (sid, subscription) in subscriptions.sorted(by: { $0.key < $1.key }) {
            bytes += NATSClientOp.subscribe(subscription.subject, queue: subscription.queue, sid: sid)
        }
        if let inboxSID { bytes += NATSClientOp.subscribe(inboxPrefix + ".*", sid: inboxSID) }
        bytes += NATSClientOp.ping
        handshakeSent = true
        try await outbound?.write(ByteBuffer(bytes: bytes))
    }

    private func deliver(_ message: NATSMessage) {
        if message.sid == inboxSID {
            let token = String(message.subject.dropFirst(inboxPrefix.count + 1))
            guard let request = requests.removeValue(forKey: token) else { return }
            if message.status == 503 {
                request.waiter.resume(throwing: NATSError.noResponders(request.subject))
            } else {
                request.waiter.resume(returning: message)
            }
            return
        }
        subscriptions[message.sid]?.sink.yield(message)
    }

    /// Sends now, or keeps the bytes for the next connection while reconnecting.
    private func write(_ bytes: [UInt8]) async throws {
        if closed { throw NATSError.connectionClosed }
        if connected, let outbound {
            do {
                try await outbound.write(ByteBuffer(bytes: bytes))
                return
            } catch {
                connected = false
            }
        }
        guard pending.count + bytes.count <= options.reconnectBufferBytes else {
            throw NATSError.server("the reconnect buffer is full")
        }
        pending += bytes
    }

    private func flushPending() async throws {
        guard !pending.isEmpty, let outbound else { return }
        let bytes = pending
        pending = []
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    // MARK: - API

    public func publish(_ subject: String, payload: [UInt8], replyTo: String? = nil) async throws {
        try await write(NATSClientOp.publish(subject, replyTo: replyTo, payload: payload))
    }

    /// A subscription; with `queue`, each message goes to one member of the queue group.
    public func subscribe(_ subject: String, queue: String? = nil) async throws -> NATSSubscription {
        let sid = nextSID
        nextSID += 1
        let (stream, sink) = AsyncStream.makeStream(of: NATSMessage.self)
        subscriptions[sid] = Subscription(subject: subject, queue: queue, sink: sink)
        // Before the handshake of a new connection, the handshake itself subscribes.
        if handshakeSent { try await write(NATSClientOp.subscribe(subject, queue: queue, sid: sid)) }
        return NATSSubscription(sid: sid, messages: stream)
    }

    public func unsubscribe(_ sid: UInt64) async throws {
        subscriptions.removeValue(forKey: sid)?.sink.finish()
        if handshakeSent { try await write(NATSClientOp.unsubscribe(sid: sid)) }
    }

    /// Publishes with a reply subject in this connection's inbox and waits for the first reply.
    public func request(_ subject: String, payload: [UInt8], timeout: Duration) async throws -> NATSMessage {
        if inboxSID == nil {
            let sid = nextSID
            nextSID += 1
            inboxSID = sid
            if handshakeSent { try await write(NATSClientOp.subscribe(inboxPrefix + ".*", sid: sid)) }
        }
        nextToken += 1
        let token = String(nextToken)
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.expire(token, subject)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            requests[token] = (subject, continuation)
            Task {
                do {
                    try await self.write(
                        NATSClientOp.publish(subject, replyTo: self.inboxPrefix + "." + token, payload: payload))
                } catch {
                    self.expire(token, subject, error)
                }
            }
        }
    }

    private func expire(_ token: String, _ subject: String, _ error: (any Error)? = nil) {
        requests.removeValue(forKey: token)?.waiter.resume(
            throwing: error ?? NATSError.timedOut("a reply on \(subject)"))
    }

    /// Round trip to the server: everything sent before has been processed by it.
    public func flush(timeout: Duration = .seconds(5)) async throws {
        guard connected else { throw NATSError.connectionClosed }
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.failPong()
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { continuation in
            pongWaiters.append(continuation)
            Task {
                do { try await self.write(NATSClientOp.ping) } catch { self.failPong() }
            }
        }
    }

    private func failPong() {
        guard !pongWaiters.isEmpty else { return }
        pongWaiters.removeFirst().resume(throwing: NATSError.timedOut("PONG"))
    }

    /// Returns once `close()` has ended the connection (reconnections in between do not end it).
    public func waitUntilClosed() async { await reader?.value }

    public func close() async {
        closed = true
        reader?.cancel()
        if let outbound { outbound.finish() }
        await reader?.value
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
