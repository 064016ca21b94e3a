import NIOCore
import NIOPosix

/// A QMP connection over a Unix socket: negotiates capabilities, runs commands (matched to their replies by
/// id) and delivers events. Knows nothing of Nova.
public actor QMPClient {
    private var machine = QMPStateMachine()
    private var replies: [Int: CheckedContinuation<QMPValue, any Error>] = [:]
    private var readyWaiter: CheckedContinuation<QMPGreeting, any Error>?
    private var readyResult: Result<QMPGreeting, QMPError>?
    private var outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    private var reader: Task<Void, Never>?
    private let eventSink: AsyncStream<QMPEvent>.Continuation
    /// Every event, in order; finishes when the connection closes (for QEMU: when the process ends).
    public nonisolated let events: AsyncStream<QMPEvent>
    public private(set) var greeting: QMPGreeting?
    public var isClosed: Bool { machine.state == .closed }

    private init() {
        (events, eventSink) = AsyncStream.makeStream(of: QMPEvent.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// Connects and negotiates; fails if the server does not greet within `timeout`.
    public static func connect(
        socketPath: String, timeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> QMPClient {
        let address = try SocketAddress(unixDomainSocketPath: socketPath)
        let channel = try await ClientBootstrap(group: group).connect(to: address) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(QMPLineDecoder()))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let client = QMPClient()
        await client.start(channel)
        do {
            try await client.waitUntilReady(timeout: timeout)
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    private func start(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        reader = Task { await self.read(channel) }
    }

    private func read(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                self.outbound = outbound
                for try await line in inbound {
                    let actions: [QMPStateMachine.Action]
                    if let message = try? QMPValue.parse(line.readableBytesView) {
                        actions = machine.receive(message)
                    } else {
                        actions = machine.receiveMalformed(String(buffer: line))
                    }
                    await perform(actions)
                    if machine.state == .closed { break }
                }
            }
        } catch {}
        outbound = nil
        await perform(machine.connectionClosed())
        eventSink.finish()
    }

    private func waitUntilReady(timeout: Duration) async throws {
        if let readyResult { _ = try readyResult.get(); return }
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.finishReady(.failure(.timedOut("the QMP greeting")))
        }
        defer { timer.cancel() }
        _ = try await withCheckedThrowingContinuation { readyWaiter = $0 }
    }

    private func finishReady(_ result: Result<QMPGreeting, QMPError>) {
        guard readyResult == nil else { return }
        readyResult = result
        if case .success(let greeting) = result { self.greeting = greeting }
        readyWaiter?.resume(with: result)
        readyWaiter = nil
        if case .failure = result { reader?.cancel() }
    }

    /// Runs one command and returns its `return` value; a QEMU error reply throws `QMPError.command`.
    @discardableResult
    public func execute(_ command: String, _ arguments: [String: QMPValue]? = nil, timeout: Duration = .seconds(30))
        async throws -> QMPValue
    {
        let (id, actions) = machine.command(command, arguments: arguments)
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.complete(id, .failure(QMPError.timedOut(command)))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            replies[id] = continuation
            Task { await self.perform(actions) }
        }
    }

    private func complete(_ id: Int, _ result: Result<QMPValue, any Error>) {
        replies.removeValue(forKey: id)?.resume(with: result)
    }

    private func perform(_ actions: [QMPStateMachine.Action]) async {
        for action in actions {
            switch action {
            case .send(let bytes):
                do {
                    try await outbound?.write(ByteBuffer(bytes: bytes))
                } catch {
                    reader?.cancel()
                }
            case .ready(let greeting):
                finishReady(.success(greeting))
            case .complete(let id, let result):
                complete(id, result.mapError { $0 })
            case .event(let event):
                eventSink.yield(event)
            case .fail(let ids, let error):
                for id in ids { complete(id, .failure(error)) }
                finishReady(.failure(error))
                reader?.cancel()
            }
        }
    }

    /// Closes the connection; outstanding commands fail with `connectionClosed`.
    public func close() async {
        reader?.cancel()
        await reader?.value
    }
}
