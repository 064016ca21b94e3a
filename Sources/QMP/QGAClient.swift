import NIOCore
import NIOPosix

/// One exchange with a QEMU guest agent over its Unix socket (the host side of the guest's
/// `org.qemu.guest_agent.0` port): a `guest-sync` with a fresh id first, so that a reply left over from an
/// earlier client is skipped, then the command. The agent speaks QMP's JSON without a greeting; each reply
/// is a line. Knows nothing of Nova.
public enum QGAClient {
    /// Runs `command` and returns its `return` value; an `error` reply throws `QMPError.command`, no agent
    /// answering within `timeout` throws `QMPError.timedOut`.
    public static func execute(
        socketPath: String, _ command: String, _ arguments: [String: QMPValue]? = nil,
        timeout: Duration = .seconds(15), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> QMPValue {
        let address = try SocketAddress(unixDomainSocketPath: socketPath)
        let channel = try await ClientBootstrap(group: group).connect(to: address) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(QMPLineDecoder()))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        return try await withThrowingTaskGroup(of: QMPValue?.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var lines = inbound.makeAsyncIterator()
                    let sync = Int.random(in: 1...Int(Int32.max))
                    try await outbound.write(ByteBuffer(bytes: message("guest-sync", ["id": .number(Double(sync))])))
                    while let line = try await lines.next() {
                        if let reply = try? QMPValue.parse(line.readableBytesView), reply["return"]?.intValue == sync {
                            break
                        }
                    }
                    try await outbound.write(ByteBuffer(bytes: message(command, arguments)))
                    guard let line = try await lines.next(), let reply = try? QMPValue.parse(line.readableBytesView)
                    else { throw QMPError.connectionClosed }
                    if let error = reply["error"] {
                        throw QMPError.command(
                            errorClass: error["class"]?.stringValue ?? "GenericError",
                            description: error["desc"]?.stringValue ?? "")
                    }
                    return reply["return"] ?? .null
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw QMPError.timedOut(command)
            }
            return result
        }
    }

    static func message(_ command: String, _ arguments: [String: QMPValue]?) -> [UInt8] {
        var object: [String: QMPValue] = ["execute": .string(command)]
        if let arguments { object["arguments"] = .object(arguments) }
        return QMPValue.object(object).serialized() + [UInt8(ascii: "\n")]
    }
}
