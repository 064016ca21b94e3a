/// A FIFO lock for async code: one holder at a time, waiters resume in order.
public actor AsyncLock {
    public init() {}

    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public func lock() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func unlock() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

extension AsyncLock {
    /// Runs `body` holding the lock, and lets it go however `body` ends.
    public nonisolated func holding<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await lock()
        do {
            let result = try await body()
            await unlock()
            return result
        } catch {
            await unlock()
            throw error
        }
    }
}
