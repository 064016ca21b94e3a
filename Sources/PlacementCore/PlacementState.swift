import Foundation
import NovaCore

/// Everything Placement knows, in memory: the index every read and candidate search works on. Mutations
/// check Placement's rules, then record what they touched in `changes` so a store can write just that.
public struct PlacementState: Sendable {
    public internal(set) var providers: [String: ResourceProvider] = [:]
    /// Provider uuids in creation order: listings and candidates come out in a stable order.
    public internal(set) var order: [String] = []
    public internal(set) var consumers: [String: Consumer] = [:]
    public internal(set) var customClasses: Set<String> = []
    public internal(set) var customTraits: Set<String> = []
    var names: [String: String] = [:]
    var children: [String: Set<String>] = [:]
    /// Aggregate uuid -> member providers; sharing providers are found through it.
    var aggregateMembers: [String: Set<String>] = [:]
    var sharingProviders: Set<String> = []
    public var changes = Changes()

    /// What a mutation touched, for the store to write.
    public struct Changes: Sendable, Equatable {
        public var providers: Set<String> = []
        /// Providers whose generation alone changed (their allocations moved).
        public var generations: Set<String> = []
        public var consumers: Set<String> = []
        public var classes: Set<String> = []
        public var traits: Set<String> = []
        public var isEmpty: Bool {
            providers.isEmpty && generations.isEmpty && consumers.isEmpty && classes.isEmpty && traits.isEmpty
        }
    }

    public init() {}

    /// Rebuilds the state from stored rows (usages are derived from the consumers).
    public init(
        providers: [ResourceProvider], consumers: [Consumer], customClasses: Set<String>, customTraits: Set<String>
    ) {
        self.customClasses = customClasses
        self.customTraits = customTraits
        for provider in providers.sorted(by: { ($0.createdAt, $0.uuid) < ($1.createdAt, $1.uuid) }) {
            var provider = provider
            provider.usages = [:]
            insert(provider)
        }
        for consumer in consumers {
            self.consumers[consumer.uuid] = consumer
            apply(consumer.allocations, sign: 1)
        }
    }

    public func provider(_ uuid: String) throws(NovaError) -> ResourceProvider {
        guard let provider = providers[uuid] else {
            throw NovaError(.providerNotFound, "No resource provider with uuid \(uuid) found")
        }
        return provider
    }

    public func provider(named name: String) -> ResourceProvider? {
        names[name].flatMap { providers[$0] }
    }

    public func isKnownClass(_ name: String) -> Bool {
        ResourceClasses.standardSet.contains(name) || customClasses.contains(name)
    }

    public func isKnownTrait(_ name: String) -> Bool {
        StandardTraits.allSet.contains(name) || customTraits.contains(name)
    }

    /// The provider and everything below it.
    public func subtree(of uuid: String) -> [String] {
        guard children[uuid]?.isEmpty == false else { return [uuid] }
        var result = [uuid]
        var index = 0
        while index < result.count {
            if let below = children[result[index]] { result.append(contentsOf: below.sorted()) }
            index += 1
        }
        return result
    }

    public func isDescendant(_ uuid: String, of ancestor: String) -> Bool {
        var current: String? = uuid
        while let id = current {
            if id == ancestor { return true }
            current = providers[id]?.parentUUID
        }
        return false
    }

    /// Sharing providers (MISC_SHARES_VIA_AGGREGATE) that share an aggregate with any of `members`.
    public func sharingProviders(for members: [String]) -> [String] {
        guard !sharingProviders.isEmpty else { return [] }
        var found: Set<String> = []
        for member in members {
            guard let aggregates = providers[member]?.aggregates else { continue }
            for aggregate in aggregates {
                for other in aggregateMembers[aggregate] ?? [] where sharingProviders.contains(other) {
                    found.insert(other)
                }
            }
        }
        return found.subtracting(members).sorted()
    }

    /// Usage of a project (and user), per resource class, optionally for one consumer type (GET /usages).
    /// A project's (and user's) usage by consumer type: how many consumers and what they hold. `consumerType`
    /// `all` puts every consumer under `all`; `unknown` are the consumers written with no type.
    public func usages(projectID: String, userID: String?, consumerType: String? = nil) -> [String: TypeUsage] {
        var byType: [String: TypeUsage] = [:]
        for consumer in consumers.values where consumer.projectID == projectID {
            if let userID, consumer.userID != userID { continue }
            if let consumerType, consumerType != "all", consumer.consumerType != consumerType { continue }
            let key = consumerType == "all" ? "all" : consumer.consumerType
            var usage = byType[key] ?? TypeUsage()
            usage.consumers += 1
            for resources in consumer.allocations.values {
                for (resourceClass, amount) in resources {
                    usage.amounts[resourceClass, default: 0] = usage.amounts[resourceClass, default: 0].saturatingAdd(
                        amount)
                }
            }
            byType[key] = usage
        }
        return byType
    }

    public struct TypeUsage: Sendable, Equatable {
        public var consumers = 0
        public var amounts: [String: Int] = [:]
    }

    // MARK: - Index upkeep

    mutating func insert(_ provider: ResourceProvider) {
        if providers[provider.uuid] == nil { order.append(provider.uuid) }
        providers[provider.uuid] = provider
        names[provider.name] = provider.uuid
        if let parent = provider.parentUUID { children[parent, default: []].insert(provider.uuid) }
        for aggregate in provider.aggregates { aggregateMembers[aggregate, default: []].insert(provider.uuid) }
        if provider.traits.contains(StandardTraits.sharesViaAggregate) { sharingProviders.insert(provider.uuid) }
    }

    mutating func remove(_ uuid: String) {
        guard let provider = providers.removeValue(forKey: uuid) else { return }
        order.removeAll { $0 == uuid }
        names[provider.name] = nil
        if let parent = provider.parentUUID { removeChild(uuid, of: parent) }
        for aggregate in provider.aggregates { aggregateMembers[aggregate]?.remove(uuid) }
        sharingProviders.remove(uuid)
    }

    /// Drops a child from its parent's set, and the set when it empties: the candidate search reads an empty
    /// `children` as a cloud of flat providers.
    mutating func removeChild(_ uuid: String, of parent: String) {
        children[parent]?.remove(uuid)
        if children[parent]?.isEmpty == true { children[parent] = nil }
    }

    /// Replaces a provider's record, keeping the indexes right; bumps its generation.
    mutating func update(_ uuid: String, bump: Bool = true, _ body: (inout ResourceProvider) -> Void) {
        update(uuid, bump: bump, generationOnly: false, body)
    }

    mutating func update(
        _ uuid: String, bump: Bool, generationOnly: Bool, _ body: (inout ResourceProvider) -> Void
    ) {
        guard var provider = providers[uuid] else { return }
        let old = provider
        body(&provider)
        if bump { provider.generation += 1 }
        provider.updatedAt = Date()
        if old.name != provider.name {
            names[old.name] = nil
            names[provider.name] = uuid
        }
        if old.aggregates != provider.aggregates {
            for aggregate in old.aggregates.subtracting(provider.aggregates) {
                aggregateMembers[aggregate]?.remove(uuid)
            }
            for aggregate in provider.aggregates.subtracting(old.aggregates) {
                aggregateMembers[aggregate, default: []].insert(uuid)
            }
        }
        if provider.traits.contains(StandardTraits.sharesViaAggregate) {
            sharingProviders.insert(uuid)
        } else {
            sharingProviders.remove(uuid)
        }
        providers[uuid] = provider
        if generationOnly { changes.generations.insert(uuid) } else { changes.providers.insert(uuid) }
    }

    mutating func apply(_ allocations: [String: [String: Int]], sign: Int) {
        for (providerUUID, resources) in allocations {
            guard var provider = providers[providerUUID] else { continue }
            for (resourceClass, amount) in resources {
                provider.usages[resourceClass, default: 0] += sign * amount
                if provider.usages[resourceClass] == 0 { provider.usages[resourceClass] = nil }
            }
            providers[providerUUID] = provider
        }
    }
}
