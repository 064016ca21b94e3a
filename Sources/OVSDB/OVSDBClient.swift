import NIOCore
import NIOPosix

/// A monitor's changes as the server sent them.
public struct OVSDBUpdate: Sendable, Equatable {
    /// The id the monitor was set up with.
    public var monitor: OVSDBValue
    /// `update` (monitor) or `update2`/`update3` (monitor_cond).
    public var method: String
    /// `{table: {uuid: row-update}}`.
    public var tables: OVSDBValue
}

/// An OVSDB connection (RFC 7047 JSON-RPC) over a Unix socket or TCP, as OVS remotes name them
/// (`unix:/path`, `tcp:host:port`): transactions, monitors and their updates, the server's echo answered.
/// Knows nothing of Nova or OVN.
public actor OVSDBClient {
    private var machine = OVSDBStateMachine()
    private var framer = OVSDBFramer()
    private var replies: [Int: CheckedContinuation<OVSDBValue, any Error>] = [:]
    /// Replicas fed by a monitor: the initial rows when its reply arrives, then its updates, in order.
    private var replicas: [OVSDBValue: OVSDBReplica] = [:]
    private var replicaReplies: [Int: OVSDBReplica] = [:]
    private var outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    private var reader: Task<Void, Never>?
    private let updateSink: AsyncStream<OVSDBUpdate>.Continuation
    /// Every monitor update, in order; finishes when the connection closes.
    public nonisolated let updates: AsyncStream<OVSDBUpdate>
    public var isClosed: Bool { machine.isClosed }

    private init() {
        (updates, updateSink) = AsyncStream.makeStream(of: OVSDBUpdate.self, bufferingPolicy: .bufferingNewest(4096))
    }

    /// The socket address of an OVS remote: `unix:/path` or `tcp:host:port`.
    public static func address(of remote: String) throws -> SocketAddress {
        if remote.hasPrefix("unix:") { return try SocketAddress(unixDomainSocketPath: String(remote.dropFirst(5))) }
        if remote.hasPrefix("tcp:") {
            let rest = remote.dropFirst(4)
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else {
                throw OVSDBError.protocolViolation("\(remote) is not tcp:host:port")
            }
            let host = String(rest[..<colon]).trimmingCharacters(in: ["[", "]"])
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        }
        throw OVSDBError.protocolViolation("\(remote) is not unix:PATH or tcp:HOST:PORT")
    }

    public static func connect(
        to remote: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> OVSDBClient {
        let address = try address(of: remote)
        let channel = try await ClientBootstrap(group: group).connect(to: address) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let client = OVSDBClient()
        await client.start(channel)
        return client
    }

    private func start(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        reader = Task { await self.read(channel) }
    }

    private func read(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                self.outbound = outbound
                await self.flushQueued()
                for try await chunk in inbound {
                    let messages: [[UInt8]]
                    do {
                        messages = try framer.append(chunk.readableBytesView)
                    } catch {
                        await perform(machine.receiveMalformed("the stream is not JSON texts (\(error))"))
                        break
                    }
                    for text in messages {
                        if let message = try? OVSDBValue.parse(text) {
                            await perform(machine.receive(message))
                        } else {
                            await perform(
                                machine.receiveMalformed(
                                    "not JSON: \(String(decoding: text.prefix(200), as: UTF8.self))"))
                        }
                    }
                    if machine.isClosed { break }
                }
            }
        } catch {}
        outbound = nil
        await perform(machine.connectionClosed())
        updateSink.finish()
    }

    /// Sends made before the writer was there.
    private var queued: [[UInt8]] = []

    private func flushQueued() async {
        let waiting = queued
        queued = []
        for bytes in waiting { await perform([.send(bytes)]) }
    }

    /// One JSON-RPC call; a server error throws `OVSDBError.rpc`.
    @discardableResult
    public func call(_ method: String, _ params: [OVSDBValue], timeout: Duration = .seconds(30)) async throws
        -> OVSDBValue
    {
        try await call(method, params, timeout: timeout, replica: nil)
    }

    private func call(_ method: String, _ params: [OVSDBValue], timeout: Duration, replica: OVSDBReplica?)
        async throws -> OVSDBValue
    {
        let (id, actions) = machine.request(method, params)
        if let replica { replicaReplies[id] = replica }
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.complete(id, .failure(OVSDBError.timedOut(method)))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            replies[id] = continuation
            Task { await self.perform(actions) }
        }
    }

    public func listDatabases() async throws -> [String] {
        try await call("list_dbs", []).arrayValue?.compactMap(\.stringValue) ?? []
    }

    public func schema(_ database: String) async throws -> OVSDBValue {
        try await call("get_schema", [.string(database)])
    }

    public func echo() async throws {
        try await call("echo", ["ping"])
    }

    /// Runs the operations as one transaction: each operation's result, or `OVSDBError.transaction` naming
    /// the one that failed (nothing was changed then).
    @discardableResult
    public func transact(_ database: String, _ operations: [OVSDBOperation], timeout: Duration = .seconds(30))
        async throws -> [OVSDBValue]
    {
        let reply = try await call("transact", [.string(database)] + operations.map(\.json), timeout: timeout)
        let results = reply.arrayValue ?? []
        for (index, result) in results.enumerated() {
            if let error = result["error"]?.stringValue {
                throw OVSDBError.transaction(
                    index: index, error: error, details: result["details"]?.stringValue ?? "")
            }
        }
        return results
    }

    /// `monitor`: the tables' current rows (`{table: {uuid: {"new": row}}}`); later changes arrive on
    /// `updates` as `update` with this id. `columns` nil: all of a table's columns.
    public func monitor(_ database: String, id: OVSDBValue, tables: [String: [String]?]) async throws -> OVSDBValue {
        try await call("monitor", [.string(database), id, Self.requests(tables)])
    }

    /// `monitor_cond`: as `monitor`, with changes as `update2` (`insert`/`modify`/`delete` per row).
    public func monitorConditional(_ database: String, id: OVSDBValue, tables: [String: [String]?]) async throws
        -> OVSDBValue
    {
        try await call("monitor_cond", [.string(database), id, Self.requests(tables)])
    }

    /// `monitor` into `replica`: the current rows are in it when this returns, and every later update is
    /// applied to it before anything the server sent after that update is delivered.
    public func monitor(
        _ database: String, id: OVSDBValue, tables: [String: [String]?], into replica: OVSDBReplica
    ) async throws {
        replicas[id] = replica
        do {
            try await call(
                "monitor", [.string(database), id, Self.requests(tables)], timeout: .seconds(60),
                replica: replica)
        } catch {
            replicas[id] = nil
            throw error
        }
    }

    public func cancelMonitor(_ id: OVSDBValue) async throws {
        try await call("monitor_cancel", [id])
        replicas[id] = nil
    }

    static func requests(_ tables: [String: [String]?]) -> OVSDBValue {
        var requests: [String: OVSDBValue] = [:]
        for (table, columns) in tables {
            requests[table] = columns.map { ["columns": .array($0.map(OVSDBValue.string))] } ?? [:]
        }
        return .object(requests)
    }

    private func complete(_ id: Int, _ result: Result<OVSDBValue, any Error>) {
        replies.removeValue(forKey: id)?.resume(with: result)
    }

    private func perform(_ actions: [OVSDBStateMachine.Action]) async {
        for action in actions {
            switch action {
            case .send(let bytes):
                guard let outbound else {
                    queued.append(bytes)
                    continue
                }
                do {
                    try await outbound.write(ByteBuffer(bytes: bytes))
                } catch {
                    reader?.cancel()
                }
            case .complete(let id, let result):
                if let replica = replicaReplies.removeValue(forKey: id), case .success(let rows) = result {
                    replica.apply(rows)
                }
                complete(id, result.mapError { $0 })
            case .update(let monitor, let method, let tables):
                if let replica = replicas[monitor], method == "update" {
                    replica.apply(tables)
                } else {
                    updateSink.yield(OVSDBUpdate(monitor: monitor, method: method, tables: tables))
                }
            case .fail(let ids, let error):
                for id in ids { complete(id, .failure(error)) }
                reader?.cancel()
            }
        }
    }

    /// Closes the connection; outstanding calls fail with `connectionClosed`.
    public func close() async {
        reader?.cancel()
        await reader?.value
    }
}
