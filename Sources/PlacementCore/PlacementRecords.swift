import Foundation

/// The rows a set of changes writes: each changed record as it is now (nil: deleted). Later records
/// replace earlier ones when batches merge, so a batch holds the newest value of everything it names.
public struct PlacementRecords: Sendable {
    public var providers: [String: ResourceProvider?] = [:]
    /// Providers whose generation alone changed: uuid -> (generation, updated at).
    public var generations: [String: (Int, Date)] = [:]
    public var consumers: [String: Consumer?] = [:]
    /// Custom resource classes and traits: name -> whether it exists.
    public var classes: [String: Bool] = [:]
    public var traits: [String: Bool] = [:]

    public init() {}

    public var isEmpty: Bool {
        providers.isEmpty && generations.isEmpty && consumers.isEmpty && classes.isEmpty && traits.isEmpty
    }

    public mutating func merge(_ newer: PlacementRecords) {
        for (uuid, provider) in newer.providers {
            providers[uuid] = .some(provider)
            generations[uuid] = nil
        }
        for (uuid, generation) in newer.generations {
            if case .some(.some(var provider)) = providers[uuid] {
                provider.generation = generation.0
                provider.updatedAt = generation.1
                providers[uuid] = provider
            } else if providers[uuid] == nil {
                generations[uuid] = generation
            }
        }
        consumers.merge(newer.consumers) { _, new in new }
        classes.merge(newer.classes) { _, new in new }
        traits.merge(newer.traits) { _, new in new }
    }

    /// Providers to write, parents before children (a new tree's rows reference their parents).
    public var providersInTreeOrder: [(String, ResourceProvider?)] {
        func depth(_ uuid: String) -> Int {
            var depth = 0
            var parent = providers[uuid]??.parentUUID
            while let next = parent, depth < 64 {
                depth += 1
                parent = providers[next]??.parentUUID
            }
            return depth
        }
        return providers.map { ($0.key, $0.value) }.sorted { (depth($0.0), $0.0) < (depth($1.0), $1.0) }
    }
}

extension PlacementState {
    /// The records `changes` names, as they are now.
    public func records(for changes: Changes) -> PlacementRecords {
        var records = PlacementRecords()
        for uuid in changes.providers { records.providers[uuid] = .some(providers[uuid]) }
        for uuid in changes.generations.subtracting(changes.providers) {
            if let provider = providers[uuid] { records.generations[uuid] = (provider.generation, provider.updatedAt) }
        }
        for uuid in changes.consumers { records.consumers[uuid] = .some(consumers[uuid]) }
        for name in changes.classes { records.classes[name] = customClasses.contains(name) }
        for name in changes.traits { records.traits[name] = customTraits.contains(name) }
        return records
    }
}
