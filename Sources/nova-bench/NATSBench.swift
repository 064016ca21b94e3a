import ArgumentParser
import Foundation
import NATSClient
import NovaBus
import NovaCore

/// Message round trips: NATS request/reply against a nats-server on loopback, and an RPC call (encode,
/// deliver to a dispatcher, reply, decode) over NATS and over the in-process bus.
struct NATSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nats", abstract: "RPC round trips over NATS and in process (p50/p99).")

    @Option(help: "The nats-server binary.") var natsServer = "/usr/sbin/nats-server"
    @Option(help: "Round trips to time for each figure.") var roundTrips = 2000
    @Option(help: "Where to write the figures as JSON.") var output = "bench-nats.json"

    struct Echo: Codable, Sendable {
        var uuid: String
        var host: String
    }

    func run() async throws {
        let port = Int.random(in: 30000..<40000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: natsServer)
        server.arguments = ["-a", "127.0.0.1", "-p", "\(port)"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let url = "nats://127.0.0.1:\(port)"
        var figures = Figures()
        try await measureRaw(url: url, &figures)
        let nats = try await connect(url)
        try await measureRPC(name: "rpc_call_nats", bus: nats, &figures)
        nats.shutdown()
        let local = InProcessBus()
        let delivery = Task { await local.run() }
        try await measureRPC(name: "rpc_call_in_process", bus: local, &figures)
        local.shutdown()
        await delivery.value
        try figures.write(to: output)
    }

    func connect(_ url: String) async throws -> NATSBus {
        for _ in 0..<100 {
            if let bus = try? await NATSBus.connect(url: url, name: "bench", logger: .init(label: "bench")) {
                return bus
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NATSError.timedOut("nats-server at \(url)")
    }

    func measureRaw(url: String, _ figures: inout Figures) async throws {
        let bus = try await connect(url)
        bus.shutdown()
        let options = try NATSConnection.Options(url: url)
        let service = try await NATSConnection.connect(options)
        let client = try await NATSConnection.connect(options)
        let requests = try await service.subscribe("bench.echo", queue: "bench.echo")
        try await service.flush()
        let responder = Task {
            for await message in requests.messages {
                if let reply = message.replyTo { try? await service.publish(reply, payload: message.payload) }
            }
        }
        let payload = [UInt8](repeating: 120, count: 256)
        let latencies = try await timed(roundTrips) {
            _ = try await client.request("bench.echo", payload: payload, timeout: .seconds(5))
        }
        figures.add("nats_request_reply_p50", latencies[latencies.count / 2], "us")
        figures.add("nats_request_reply_p99", latencies[latencies.count * 99 / 100], "us")
        responder.cancel()
        await service.close()
        await client.close()
    }

    func measureRPC(name: String, bus: any ServiceBus, _ figures: inout Figures) async throws {
        var dispatcher = RPCDispatcher()
        dispatcher.on("echo") { (request: Echo, _) in request }
        let handler = dispatcher
        try await bus.subscribe(topic: "bench") { await handler.handle($0) }
        let client = RPCClient(bus: bus, timeout: .seconds(5))
        let context = RPCContext.service("bench")
        let latencies = try await timed(roundTrips) {
            let _: Echo = try await client.call(
                topic: "bench", method: "echo", args: Echo(uuid: UUID().uuidString, host: "compute-1"),
                context: context)
        }
        figures.add("\(name)_p50", latencies[latencies.count / 2], "us")
        figures.add("\(name)_p99", latencies[latencies.count * 99 / 100], "us")
    }

    /// Sorted latencies in microseconds, after a warm-up of a tenth of the count.
    func timed(_ count: Int, _ body: () async throws -> Void) async throws -> [Double] {
        for _ in 0..<max(1, count / 10) { try await body() }
        var latencies: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<count {
            let elapsed = try await clock.measure { try await body() }
            latencies.append(elapsed.seconds * 1e6)
        }
        return latencies.sorted()
    }
}
