import Foundation
import Logging
import NIOCore
import NIOPosix

/// The proxy for desktop VNC clients (the role of Nova's xvpvncproxy): a TCP listener where the first line
/// a client sends is its token (a bare token, `token=...`, or the console URL); then bytes are relayed.
public struct RawVNCProxy: Sendable {
    let authorizer: ConsoleAuthorizer
    let logger: Logger

    public init(authorizer: ConsoleAuthorizer, logger: Logger) {
        self.authorizer = authorizer
        self.logger = logger
    }

    public typealias Listener = NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    /// Binds the listener; `serve` runs it.
    public func bind(host: String, port: Int) async throws -> Listener {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves connections until cancelled.
    public func serve(_ listener: Listener) async throws {
        try await listener.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        do {
                            try await handle(connection)
                        } catch {
                            logger.info("raw VNC console connection ended: \(error)")
                        }
                    }
                }
            }
        }
    }

    func handle(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await client.executeThenClose { clientIn, clientOut in
            var iterator = clientIn.makeAsyncIterator()
            var pending = ByteBuffer()
            var line: String?
            while line == nil, pending.readableBytes < 4096, var chunk = try await iterator.next() {
                pending.writeBuffer(&chunk)
                if let end = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    line = pending.readString(length: end - pending.readerIndex)
                    pending.moveReaderIndex(forwardBy: 1)
                }
            }
            guard let line, let token = Self.token(fromLine: line) else {
                try await clientOut.write(ByteBuffer(string: "ERROR no token\n"))
                return
            }
            let target: ConsoleTarget
            do {
                target = try await authorizer.target(token: token, consoleType: "xvpvnc")
            } catch {
                try await clientOut.write(ByteBuffer(string: "ERROR invalid token\n"))
                return
            }
            let vnc = try await TCPRelay.connect(target)
            let rest = pending
            try await vnc.executeThenClose { vncIn, vncOut in
                if rest.readableBytes > 0 { try await vncOut.write(rest) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await bytes in vncIn { try await clientOut.write(bytes) }
                        clientOut.finish()
                    }
                    while let bytes = try await iterator.next() { try await vncOut.write(bytes) }
                    group.cancelAll()
                }
            }
        }
    }

    /// "abc", "token=abc" or "http://host:6081/console?token=abc".
    static func token(fromLine line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        if let range = trimmed.range(of: "token=") {
            let value = trimmed[range.upperBound...].prefix { $0 != "&" }
            return value.isEmpty ? nil : String(value)
        }
        return trimmed
    }
}
