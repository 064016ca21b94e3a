import Foundation
import NovaCore
import Synchronization

/// Where Placement's state is kept durably (the database adapter implements it).
public protocol PlacementPersistence: Sendable {
    func loadPlacement() async throws -> PlacementState
    /// Stores the records in one transaction.
    func savePlacement(_ records: PlacementRecords) async throws
}

/// Placement in one process. Reads work on a snapshot without waiting. A write is checked and applied in
/// place under a lock (no copy of the whole index) and its changed records join the batch being stored;
/// it returns once a transaction holding them has committed (group commit: concurrent writers share one
/// transaction). If storing fails, those writers get the error and memory is reloaded from the database.
/// Readers may see a write a moment before it is durable, never one that failed its checks.
public final class PlacementService: Sendable {
    struct Inner {
        var state: PlacementState
        var batch = PlacementRecords()
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var flushing = false
    }

    let persistence: any PlacementPersistence
    let inner: Mutex<Inner>
    /// `[placement] randomize_allocation_candidates`.
    public let randomizeCandidates: Bool

    public init(persistence: any PlacementPersistence, randomizeCandidates: Bool = false) async throws {
        self.persistence = persistence
        self.randomizeCandidates = randomizeCandidates
        self.inner = Mutex(Inner(state: try await persistence.loadPlacement()))
    }

    public var snapshot: PlacementState { inner.withLock { $0.state } }

    /// Allocation candidates from `state` (a snapshot), honouring `randomizeCandidates` when a limit is set.
    public func candidates(_ query: CandidateQuery, in state: PlacementState) -> CandidateResult {
        state.allocationCandidates(query, randomStart: randomizeCandidates && query.limit != nil)
    }

    /// Applies `body` to the state and returns once what it changed is stored.
    public func write<T: Sendable>(_ body: (inout PlacementState) throws -> T) async throws -> T {
        var outcome: Result<T, any Error> = .failure(CancellationError())
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            let startFlush = inner.withLock { inner -> Bool in
                inner.state.changes = PlacementState.Changes()
                do {
                    outcome = .success(try body(&inner.state))
                } catch {
                    outcome = .failure(error)
                    waiter.resume()
                    return false
                }
                let changes = inner.state.changes
                inner.state.changes = PlacementState.Changes()
                guard !changes.isEmpty else {
                    waiter.resume()
                    return false
                }
                inner.batch.merge(inner.state.records(for: changes))
                inner.waiters.append(waiter)
                if inner.flushing { return false }
                inner.flushing = true
                return true
            }
            if startFlush { Task { await self.flush() } }
        }
        return try outcome.get()
    }

    /// Stores batches until none is waiting.
    func flush() async {
        while true {
            let taken = inner.withLock { inner -> (PlacementRecords, [CheckedContinuation<Void, any Error>])? in
                if inner.waiters.isEmpty {
                    inner.flushing = false
                    return nil
                }
                defer {
                    inner.batch = PlacementRecords()
                    inner.waiters = []
                }
                return (inner.batch, inner.waiters)
            }
            guard let (records, waiters) = taken else { return }
            do {
                try await persistence.savePlacement(records)
                for waiter in waiters { waiter.resume() }
            } catch {
                // Memory is ahead of the database: fail this batch and the next, and read the truth again.
                let stored = try? await persistence.loadPlacement()
                let next = inner.withLock { inner -> [CheckedContinuation<Void, any Error>] in
                    if let stored { inner.state = stored }
                    defer {
                        inner.batch = PlacementRecords()
                        inner.waiters = []
                    }
                    return inner.waiters
                }
                for waiter in waiters + next { waiter.resume(throwing: error) }
            }
        }
    }
}

/// Keeps nothing: for tests, benchmarks and simulations where memory is the whole truth.
public struct TransientPlacementPersistence: PlacementPersistence {
    public init() {}
    public func loadPlacement() async throws -> PlacementState { PlacementState() }
    public func savePlacement(_ records: PlacementRecords) async throws {}
}
