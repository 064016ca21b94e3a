import Foundation
import NovaCore
import Synchronization

/// Where Placement's state is kept durably (the database adapter implements it).
public protocol PlacementPersistence: Sendable {
    func loadPlacement() async throws -> PlacementState
    /// Stores what `changes` names, as it is in `state`, in one transaction.
    func savePlacement(_ state: PlacementState, changes: PlacementState.Changes) async throws
}

/// Placement in one process: reads work on a snapshot without waiting; writes are serialised. A write is
/// checked and applied in place (no copy of the whole index), then stored; if storing fails, memory is
/// reloaded from the database. Readers may see a write a moment before it is durable, never one that
/// failed its checks.
public final class PlacementService: Sendable {
    let persistence: any PlacementPersistence
    let current: Mutex<PlacementState>
    let writes = AsyncLock()
    /// `[placement] randomize_allocation_candidates`.
    public let randomizeCandidates: Bool

    public init(persistence: any PlacementPersistence, randomizeCandidates: Bool = false) async throws {
        self.persistence = persistence
        self.randomizeCandidates = randomizeCandidates
        self.current = Mutex(try await persistence.loadPlacement())
    }

    public var snapshot: PlacementState { current.withLock { $0 } }

    /// Allocation candidates from `state` (a snapshot), honouring `randomizeCandidates` when a limit is set.
    public func candidates(_ query: CandidateQuery, in state: PlacementState) -> CandidateResult {
        state.allocationCandidates(query, randomStart: randomizeCandidates && query.limit != nil)
    }

    /// Applies `body` to a copy of the state, stores what it changed, then publishes the copy.
    public func write<T: Sendable>(_ body: (inout PlacementState) throws -> T) async throws -> T {
        await writes.lock()
        do {
            let (result, changes, state) = try current.withLock { state in
                state.changes = PlacementState.Changes()
                let result = try body(&state)
                let changes = state.changes
                state.changes = PlacementState.Changes()
                return (result, changes, changes.isEmpty ? nil : state)
            }
            if let state {
                do {
                    try await persistence.savePlacement(state, changes: changes)
                } catch {
                    let stored = try await persistence.loadPlacement()
                    current.withLock { $0 = stored }
                    throw error
                }
            }
            await writes.unlock()
            return result
        } catch {
            await writes.unlock()
            throw error
        }
    }
}

/// Keeps nothing: for tests, benchmarks and simulations where memory is the whole truth.
public struct TransientPlacementPersistence: PlacementPersistence {
    public init() {}
    public func loadPlacement() async throws -> PlacementState { PlacementState() }
    public func savePlacement(_ state: PlacementState, changes: PlacementState.Changes) async throws {}
}
