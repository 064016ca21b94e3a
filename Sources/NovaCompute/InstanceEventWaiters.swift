import NovaCore
import Synchronization

/// The server events builds on this host wait for (nova/compute/manager.py InstanceEvents): a build says
/// which events it expects before it plugs its ports, events that arrive are kept for it, and one nobody
/// expects is dropped, as Nova drops it.
final class InstanceEventWaiters: Sendable {
    struct Expected {
        var keys: Set<String>
        var continuation: AsyncStream<ServerExternalEvent>.Continuation
    }

    private let expected = Mutex<[String: Expected]>([:])

    /// What the build waits on: `keys` (`network-vif-plugged-<port>`) of the server `uuid`.
    func prepare(_ uuid: String, keys: Set<String>) -> AsyncStream<ServerExternalEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ServerExternalEvent.self)
        let replaced = expected.withLock {
            $0.updateValue(Expected(keys: keys, continuation: continuation), forKey: uuid)
        }
        replaced?.continuation.finish()
        return stream
    }

    /// Hands the event to the build that expects it; false when none does.
    func deliver(_ event: ServerExternalEvent) -> Bool {
        expected.withLock { expected in
            guard let entry = expected[event.serverUUID], entry.keys.contains(event.key) else { return false }
            entry.continuation.yield(event)
            return true
        }
    }

    func finish(_ uuid: String) {
        expected.withLock { $0.removeValue(forKey: uuid) }?.continuation.finish()
    }

    enum Outcome: Equatable {
        case arrived
        case failed(String)
        case timedOut(Set<String>)
    }

    /// Waits until each of `keys` arrived, one arrived as failed, or `timeout` passed.
    static func wait(_ stream: AsyncStream<ServerExternalEvent>, for keys: Set<String>, timeout: Duration) async
        -> Outcome
    {
        guard !keys.isEmpty else { return .arrived }
        let left = Remaining(keys)
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                for await event in stream {
                    if event.status == "failed" { return .failed(event.key) }
                    if left.keys.withLock({ $0.remove(event.key) != nil && $0.isEmpty }) { return .arrived }
                }
                return .timedOut(left.keys.withLock { $0 })
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut(left.keys.withLock { $0 })
            }
            let first = await group.next() ?? .timedOut(keys)
            group.cancelAll()
            return first
        }
    }

    /// The keys a wait still lacks, shared by its two tasks.
    final class Remaining: Sendable {
        let keys: Mutex<Set<String>>
        init(_ keys: Set<String>) { self.keys = Mutex(keys) }
    }
}
