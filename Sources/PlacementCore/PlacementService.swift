import Foundation
import NovaCore
import Synchronization

/// Where Placement's state is kept durably (the database adapter implements it).
public protocol PlacementPersistence: Sendable {
    func loadPlacement() async throws -> PlacementState
    /// Stores what `changes` names, as it is in `state`, in one transaction.
    func savePlacement(_ state: PlacementState, changes: PlacementState.Changes) async throws
}

/// Placement in one process: reads work on an immutable snapshot without waiting; writes are serialised,
/// stored, and only then become visible. A failed store leaves memory as it was.
public final class PlacementService: Sendable {
    let persistence: any PlacementPersistence
    let current: Mutex<PlacementState>
    let writes = AsyncLock()

    public init(persistence: any PlacementPersistence) async throws {
        self.persistence = persistence
        self.current = Mutex(try await persistence.loadPlacement())
    }

    public var snapshot: PlacementState { current.withLock { $0 } }

    /// Applies `body` to a copy of the state, stores what it changed, then publishes the copy.
    public func write<T: Sendable>(_ body: (inout PlacementState) throws -> T) async throws -> T {
        await writes.lock()
        do {
            var next = snapshot
            next.changes = PlacementState.Changes()
            let result = try body(&next)
            if !next.changes.isEmpty {
                try await persistence.savePlacement(next, changes: next.changes)
                next.changes = PlacementState.Changes()
                current.withLock { $0 = next }
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
