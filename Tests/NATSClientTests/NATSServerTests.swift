import Foundation
import NATSClient
import NovaTestSupport
import Testing

@Suite(.enabled(if: NATSServerProcess.binary != nil, "needs nats-server"), .serialized)
struct NATSServerTests {
    @Test func publishSubscribeAndQueueGroups() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let first = try await server.connect()
        let second = try await server.connect()
        let plain = try await first.subscribe("nova.fanout")
        let memberA = try await first.subscribe("nova.work", queue: "nova.work")
        let memberB = try await second.subscribe("nova.work", queue: "nova.work")
        try await first.flush()
        try await second.flush()
        for index in 0..<20 { try await second.publish("nova.work", payload: Array("job \(index)".utf8)) }
        try await second.publish("nova.fanout", payload: Array("all".utf8))
        try await second.flush()
        var iterator = plain.messages.makeAsyncIterator()
        #expect(await iterator.next()?.payload == Array("all".utf8))
        let counts = await withTaskGroup(of: Int.self) { group in
            for subscription in [memberA, memberB] {
                group.addTask {
                    var count = 0
                    let deadline = ContinuousClock.now + .seconds(1)
                    for await _ in subscription.messages {
                        count += 1
                        if ContinuousClock.now > deadline || count == 20 { break }
                    }
                    return count
                }
            }
            // Let both members drain, then end the streams.
            try? await Task.sleep(for: .milliseconds(500))
            await first.close()
            await second.close()
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts.reduce(0, +) == 20, "each job went to exactly one member: \(counts)")
    }

    @Test func requestReplyAndNoResponders() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let service = try await server.connect()
        let client = try await server.connect()
        let requests = try await service.subscribe("nova.echo", queue: "nova.echo")
        try await service.flush()
        let responder = Task {
            for await message in requests.messages {
                if let reply = message.replyTo {
                    try? await service.publish(reply, payload: message.payload.reversed())
                }
            }
        }
        let reply = try await client.request("nova.echo", payload: Array("abc".utf8), timeout: .seconds(5))
        #expect(reply.payload == Array("cba".utf8))
        let started = ContinuousClock.now
        await #expect(throws: NATSError.noResponders("nova.nobody")) {
            _ = try await client.request("nova.nobody", payload: [], timeout: .seconds(5))
        }
        #expect(ContinuousClock.now - started < .seconds(2), "no responders is immediate, not a timeout")
        responder.cancel()
        await service.close()
        await client.close()
    }

    @Test func reconnectsAndSubscribesAgain() async throws {
        let server = try NATSServerProcess()
        let service = try await server.connect()
        let client = try await server.connect()
        let requests = try await service.subscribe("nova.ping", queue: "nova.ping")
        let responder = Task {
            for await message in requests.messages {
                if let reply = message.replyTo { try? await service.publish(reply, payload: Array("pong".utf8)) }
            }
        }
        try await service.flush()
        server.stop()
        let again = try server.restarted()
        defer { again.stop() }
        var answered = false
        for _ in 0..<100 where !answered {
            answered =
                (try? await client.request("nova.ping", payload: [], timeout: .milliseconds(500)))?.payload
                == Array("pong".utf8)
            if !answered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(answered, "both connections came back and the subscription was made again")
        #expect(await service.connections >= 2)
        responder.cancel()
        await service.close()
        await client.close()
    }
}
