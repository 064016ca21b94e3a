import NovaCore
import Synchronization

/// The all-in-one transport: topics with queue-group semantics (each message goes to one subscriber, round
/// robin), payloads passed as encoded bytes exactly as a broker would carry them. Deliveries run as child tasks
/// of `run()`, so shutting the bus down ends them.
public final class InProcessBus: MessageBus {
    typealias Handler = @Sendable ([UInt8]) async -> [UInt8]

    struct Topics {
        var handlers: [String: [Handler]] = [:]
        var next: [String: Int] = [:]

        mutating func pick(_ topic: String) -> Handler? {
            guard let list = handlers[topic], !list.isEmpty else { return nil }
            let index = (next[topic] ?? 0) % list.count
            next[topic] = index + 1
            return list[index]
        }
    }

    /// A message to hand to its subscriber, with the slot its reply goes to (none for a cast).
    struct Work: Sendable {
        var handler: Handler
        var payload: [UInt8]
        var slot: ReplySlot?
    }

    private let topics = Mutex(Topics())
    /// Calls waiting for a reply; failed at once when the bus stops.
    private let pending = Mutex<(stopped: Bool, slots: [ObjectIdentifier: ReplySlot])>((false, [:]))
    private let work: AsyncStream<Work>
    private let workContinuation: AsyncStream<Work>.Continuation

    public init() {
        (work, workContinuation) = AsyncStream.makeStream(of: Work.self)
    }

    public func subscribe(topic: String, handler: @escaping @Sendable ([UInt8]) async -> [UInt8]) async throws {
        topics.withLock { $0.handlers[topic, default: []].append(handler) }
    }

    /// Removes every subscriber of `topic` (a compute service that stops).
    public func unsubscribeAll(topic: String) {
        topics.withLock { _ = $0.handlers.removeValue(forKey: topic) }
    }

    public func cast(topic: String, payload: [UInt8]) async throws {
        guard let handler = topics.withLock({ $0.pick(topic) }) else {
            throw NovaError(.serviceUnavailable, "No service is listening on topic \(topic).")
        }
        workContinuation.yield(Work(handler: handler, payload: payload, slot: nil))
    }

    public func call(topic: String, payload: [UInt8], timeout: Duration) async throws -> [UInt8] {
        guard let handler = topics.withLock({ $0.pick(topic) }) else {
            throw NovaError(.serviceUnavailable, "No service is listening on topic \(topic).")
        }
        let slot = ReplySlot()
        let key = ObjectIdentifier(slot)
        guard
            pending.withLock({ state in
                if state.stopped { return false }
                state.slots[key] = slot
                return true
            })
        else {
            throw NovaError(.serviceUnavailable, "The message bus has stopped.")
        }
        defer { _ = pending.withLock { $0.slots.removeValue(forKey: key) } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                slot.install(continuation)
                if case .terminated = workContinuation.yield(Work(handler: handler, payload: payload, slot: slot)) {
                    slot.resume(with: .failure(NovaError(.serviceUnavailable, "The message bus has stopped.")))
                    return
                }
                slot.expire(after: timeout)
            }
        } onCancel: {
            slot.resume(with: .failure(CancellationError()))
        }
    }

    /// Delivers messages until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await item in work {
                group.addTask {
                    let reply = await item.handler(item.payload)
                    item.slot?.resume(with: .success(reply))
                }
            }
        }
    }

    /// Stops accepting work; `run()` returns once deliveries in flight finish.
    public func shutdown() {
        workContinuation.finish()
        let slots = pending.withLock { state in
            state.stopped = true
            return Array(state.slots.values)
        }
        for slot in slots {
            slot.resume(with: .failure(NovaError(.serviceUnavailable, "The message bus has stopped.")))
        }
    }
}

/// A call's pending reply: resumed once, by the reply or by the timeout, whichever comes first.
final class ReplySlot: Sendable {
    struct State {
        var continuation: CheckedContinuation<[UInt8], any Error>?
        /// A result that came before the caller was waiting (cancelled early).
        var early: Result<[UInt8], any Error>?
        var done = false
        /// Fails the call when no reply comes in time; cancelled by the reply.
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func install(_ value: CheckedContinuation<[UInt8], any Error>) {
        let early = state.withLock { state -> Result<[UInt8], any Error>? in
            if let early = state.early { return early }
            state.continuation = value
            return nil
        }
        if let early { value.resume(with: early) }
    }

    func resume(with result: Result<[UInt8], any Error>) {
        let taken = state.withLock { state -> CheckedContinuation<[UInt8], any Error>? in
            guard !state.done else { return nil }
            guard let continuation = state.continuation else {
                state.early = result
                state.done = true
                return nil
            }
            state.done = true
            state.continuation = nil
            return continuation
        }
        taken?.resume(with: result)
        state.withLock { $0.timer.take() }?.cancel()
    }

    /// Fails the call with a timeout unless a reply comes first. The timer is a task of its own, cancelled by
    /// the reply: as a child of the delivery group, each call's timer stayed there for the whole timeout, and
    /// a group finds a finished child by walking its list, so every delivery cost more the busier the bus was.
    func expire(after timeout: Duration) {
        let timer = Task { [weak self] in
            do { try await Task.sleep(for: timeout) } catch { return }
            self?.resume(with: .failure(NovaError(.timeout, "Timed out waiting for a reply (\(timeout)).")))
        }
        let done = state.withLock { state in
            if !state.done { state.timer = timer }
            return state.done
        }
        if done { timer.cancel() }
    }
}
