import Foundation
import NovaCore
import Synchronization

/// The caching scheduler's host state: compute nodes, their services and aggregates kept in memory between
/// requests and read again when the store says they changed, when older than `ttl` (liveness), or after
/// `invalidate()`. Capacity and usage are not cached:
/// they come fresh from Placement with every request.
public final class CachingSchedulerStore: SchedulerStore {
    let base: any SchedulerStore
    let ttl: TimeInterval
    let cache = Mutex<(fetched: Date, version: Int, states: [HostState], index: [String: HostState])?>(nil)

    public init(base: any SchedulerStore, ttl: TimeInterval) {
        self.base = base
        self.ttl = ttl
    }

    public func invalidate() { cache.withLock { $0 = nil } }

    func current(_ now: Date) async throws -> (states: [HostState], index: [String: HostState]) {
        let version = try await base.hostStateVersion()
        if let cached = cache.withLock({ $0 }), cached.version == version, now.timeIntervalSince(cached.fetched) < ttl {
            return (cached.states, cached.index)
        }
        let states = try await base.hostStates(now: now)
        let index = Dictionary(states.map { ($0.nodeUUID, $0) }, uniquingKeysWith: { first, _ in first })
        cache.withLock { $0 = (now, version, states, index) }
        return (states, index)
    }

    public func hostStates(now: Date) async throws -> [HostState] { try await current(now).states }
    public func hostIndex(now: Date) async throws -> [String: HostState] { try await current(now).index }
    public func hostStateVersion() async throws -> Int { try await base.hostStateVersion() }
    public func aggregates() async throws -> [Aggregate] { try await base.aggregates() }
    public func serverGroup(uuid: String) async throws -> ServerGroup? { try await base.serverGroup(uuid: uuid) }
    public func instanceHosts(_ uuids: [String]) async throws -> [String: String] {
        try await base.instanceHosts(uuids)
    }
}
