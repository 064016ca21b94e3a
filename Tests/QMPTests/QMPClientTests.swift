import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import QMP

/// A QMP server in the test: greets, answers `qmp_capabilities`, `query-status`, `stop` (then emits STOP)
/// and `quit` (emits SHUTDOWN and closes); anything else is an error reply.
final class FakeQMPServer: Sendable {
    let path: String
    let channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    let task: Task<Void, Never>

    init(greet: Bool = true) async throws {
        path = NSTemporaryDirectory() + "qmp-\(UUID().uuidString.prefix(8)).sock"
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
            unixDomainSocketPath: path, cleanupExistingSocketFile: true
        ) { child in
            child.eventLoop.makeCompletedFuture {
                try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(QMPLineDecoder()))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
            }
        }
        task = Task { [channel] in
            try? await channel.executeThenClose { connections in
                for try await connection in connections {
                    Task { try? await Self.serve(connection, greet: greet) }
                }
            }
        }
    }

    static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, greet: Bool) async throws {
        try await connection.executeThenClose { inbound, outbound in
            func send(_ value: QMPValue) async throws {
                try await outbound.write(ByteBuffer(bytes: value.serialized() + Array("\r\n".utf8)))
            }
            if greet {
                try await send([
                    "QMP": [
                        "version": ["qemu": ["major": 9, "minor": 0, "micro": 1], "package": ""], "capabilities": [],
                    ]
                ])
            }
            for try await line in inbound {
                let message = try QMPValue.parse(line.readableBytesView)
                let id = message["id"] ?? .null
                switch message["execute"]?.stringValue {
                case "qmp_capabilities": try await send(["return": [:], "id": id])
                case "query-status": try await send(["return": ["status": "running", "running": true], "id": id])
                case "stop":
                    try await send(["event": "STOP", "timestamp": ["seconds": 1, "microseconds": 0]])
                    try await send(["return": [:], "id": id])
                case "quit":
                    try await send(["return": [:], "id": id])
                    try await send([
                        "event": "SHUTDOWN", "data": ["guest": false], "timestamp": ["seconds": 2, "microseconds": 0],
                    ])
                    return
                default:
                    try await send([
                        "error": ["class": "CommandNotFound", "desc": "The command is not found"], "id": id,
                    ])
                }
            }
        }
    }

    func stop() async {
        task.cancel()
        try? FileManager.default.removeItem(atPath: path)
    }
}

@Suite struct QMPClientTests {
    @Test func negotiatesRunsCommandsAndDeliversEvents() async throws {
        let server = try await FakeQMPServer()
        let client = try await QMPClient.connect(socketPath: server.path)
        #expect(await client.greeting?.version == "9.0.1")
        let status = try await client.execute("query-status")
        #expect(status["status"]?.stringValue == "running")
        try await client.execute("stop")
        await #expect(throws: QMPError.command(errorClass: "CommandNotFound", description: "The command is not found"))
        {
            try await client.execute("no-such-command")
        }
        try await client.execute("quit")
        var names: [String] = []
        for await event in client.events { names.append(event.name) }
        #expect(names == ["STOP", "SHUTDOWN"])
        await #expect(throws: QMPError.connectionClosed) { try await client.execute("query-status") }
        await server.stop()
    }

    @Test func concurrentCommandsEachGetTheirOwnReply() async throws {
        let server = try await FakeQMPServer()
        let client = try await QMPClient.connect(socketPath: server.path)
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<50 { group.addTask { try await client.execute("query-status")["status"]?.stringValue } }
            for try await status in group { #expect(status == "running") }
        }
        await client.close()
        await server.stop()
    }

    @Test func aServerThatNeverGreetsTimesOut() async throws {
        let server = try await FakeQMPServer(greet: false)
        await #expect(throws: QMPError.timedOut("the QMP greeting")) {
            _ = try await QMPClient.connect(socketPath: server.path, timeout: .milliseconds(200))
        }
        await server.stop()
    }

    @Test func noSocketFailsToConnect() async {
        await #expect(throws: (any Error).self) {
            _ = try await QMPClient.connect(socketPath: NSTemporaryDirectory() + "absent-\(UUID().uuidString).sock")
        }
    }
}
