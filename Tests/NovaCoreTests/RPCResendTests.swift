import NovaCore
import Synchronization
import Testing

/// A bus that hands each call to a dispatcher but loses the first `lostReplies` replies (the request ran,
/// its answer never came back) and, before that, the first `lostRequests` requests (they never ran).
final class LosingBus: MessageBus {
    let dispatcher: RPCDispatcher
    let losses: Mutex<(requests: Int, replies: Int)>
    let deliveries = Mutex(0)

    init(_ dispatcher: RPCDispatcher, lostRequests: Int = 0, lostReplies: Int = 0) {
        self.dispatcher = dispatcher
        losses = Mutex((lostRequests, lostReplies))
    }

    func cast(topic: String, payload: [UInt8]) async throws {}
    func subscribe(topic: String, handler: @escaping @Sendable ([UInt8]) async -> [UInt8]) async throws {}

    func call(topic: String, payload: [UInt8], timeout: Duration) async throws -> [UInt8] {
        let requestLost = losses.withLock { losses in
            guard losses.requests > 0 else { return false }
            losses.requests -= 1
            return true
        }
        if requestLost { throw NovaError(.serviceUnavailable, "No service is listening on topic \(topic).") }
        deliveries.withLock { $0 += 1 }
        let reply = await dispatcher.handle(payload)
        let replyLost = losses.withLock { losses in
            guard losses.replies > 0 else { return false }
            losses.replies -= 1
            return true
        }
        if replyLost { throw NovaError(.timeout, "Timed out waiting for a reply (\(timeout)).") }
        return reply
    }
}

struct Counter: Codable, Sendable { var value: Int }

@Suite struct RPCResendTests {
    let context = RPCContext.service("test")

    func answering(failWith error: NovaError? = nil) -> RPCDispatcher {
        var dispatcher = RPCDispatcher()
        dispatcher.on("count") { (request: Counter, _) -> Counter in
            if let error { throw error }
            return Counter(value: request.value + 1)
        }
        return dispatcher
    }

    @Test func aLostRequestAndALostReplyAreSentAgain() async throws {
        let bus = LosingBus(answering(), lostRequests: 1, lostReplies: 1)
        let client = RPCClient(bus: bus, timeout: .seconds(1))
        let reply: Counter = try await client.call(
            topic: "t", method: "count", args: Counter(value: 0), context: context, attempts: 3)
        #expect(reply.value == 1)
        #expect(bus.deliveries.withLock { $0 } == 2, "the request whose reply was lost ran, then its repeat")
    }

    @Test func withOneAttemptALostReplyIsAnError() async throws {
        let client = RPCClient(bus: LosingBus(answering(), lostReplies: 1), timeout: .seconds(1))
        let error = await #expect(throws: NovaError.self) {
            let _: Counter = try await client.call(
                topic: "t", method: "count", args: Counter(value: 0), context: context)
        }
        #expect(error?.code == .timeout)
    }

    @Test func anErrorTheMethodAnsweredIsNotSentAgain() async throws {
        let bus = LosingBus(answering(failWith: NovaError(.serviceUnavailable, "No free address is left.")))
        let client = RPCClient(bus: bus, timeout: .seconds(1))
        await #expect(throws: NovaError(.serviceUnavailable, "No free address is left.")) {
            let _: Counter = try await client.call(
                topic: "t", method: "count", args: Counter(value: 0), context: context, attempts: 4)
        }
        #expect(bus.deliveries.withLock { $0 } == 1)
    }
}
