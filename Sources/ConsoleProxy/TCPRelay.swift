import NIOCore
import NIOPosix

/// Connects to a guest's VNC server.
enum TCPRelay {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(_ target: ConsoleTarget) async throws -> Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Runs both directions until either side ends.
    static func pump(_ directions: [@Sendable () async throws -> Void]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for direction in directions { group.addTask { try await direction() } }
            try await group.next()
            group.cancelAll()
        }
    }
}
