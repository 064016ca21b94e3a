import NovaCore
import PlacementCore

/// Builds provider trees for the tests; uuids are readable names.
final class Tree {
    var state = PlacementState()

    @discardableResult
    func provider(
        _ uuid: String, parent: String? = nil, _ inventories: [String: Int] = [:], traits: Set<String> = [],
        aggregates: Set<String> = [], ratio: Double = 1.0
    ) throws -> Tree {
        try state.createProvider(uuid: uuid, name: uuid, parentUUID: parent)
        if !inventories.isEmpty {
            try state.setInventories(
                uuid, generation: nil, inventories.mapValues { Inventory(total: $0, allocationRatio: ratio) })
        }
        for trait in traits where !state.isKnownTrait(trait) { try state.createTrait(trait) }
        if !traits.isEmpty { try state.setTraits(uuid, generation: nil, traits) }
        if !aggregates.isEmpty { try state.setAggregates(uuid, generation: nil, aggregates) }
        return self
    }

    func allocate(_ consumer: String, _ allocations: [String: [String: Int]]) throws {
        try state.writeAllocations([
            AllocationWrite(
                consumerUUID: consumer, allocations: allocations, projectID: "p", userID: "u", checkGeneration: false)
        ])
    }

    func candidates(_ query: CandidateQuery) -> [[String: [String: Int]]] {
        state.allocationCandidates(query).requests.map(\.allocations)
    }
}

func group(
    _ suffix: String = "", _ resources: [String: Int] = [:], required: String? = nil, memberOf: String? = nil
) -> RequestGroup {
    var group = RequestGroup(suffix: suffix, resources: resources)
    if let required { group.traits.add(required) }
    if let memberOf { group.memberOf.add(memberOf) }
    return group
}
