import Foundation
import NovaCore

/// Writes to consumers' allocations: all of a request's consumers change, or none.
extension PlacementState {
    /// Replaces the allocations of every consumer named (an empty set removes the consumer), checking
    /// consumer generations, unit rules and capacity with the consumers' old allocations taken out first.
    public mutating func writeAllocations(_ writes: [AllocationWrite], now: Date = Date()) throws(NovaError) {
        // Validate everything first against the usage the write would leave; only then change anything,
        // so a refused write leaves the state as it was without copying it.
        var delta: [String: [String: Int]] = [:]
        var seen: Set<String> = []
        // The providers whose generation changes, once each (Placement's _set_allocations): those the new
        // allocations use, and those of a consumer the write empties (Placement writes its old rows as 0).
        var bumped: Set<String> = []
        for write in writes {
            guard seen.insert(write.consumerUUID).inserted else {
                throw .badRequest("Consumer \(write.consumerUUID) appears more than once.")
            }
            let existing = consumers[write.consumerUUID]
            try checkConsumerGeneration(write, existing)
            bumped.formUnion(
                write.allocations.isEmpty
                    ? Array(existing?.allocations.keys ?? [:].keys) : Array(write.allocations.keys))
            for (providerUUID, resources) in existing?.allocations ?? [:] {
                for (resourceClass, amount) in resources {
                    delta[providerUUID, default: [:]][resourceClass, default: 0] -= amount
                }
            }
            for (providerUUID, resources) in write.allocations {
                for (resourceClass, amount) in resources {
                    delta[providerUUID, default: [:]][resourceClass, default: 0] += amount
                }
            }
        }
        for write in writes {
            for (providerUUID, resources) in write.allocations {
                try checkUnits(providerUUID, resources, consumer: write.consumerUUID)
            }
        }
        for (providerUUID, changes) in delta {
            guard let provider = providers[providerUUID] else { continue }
            for (resourceClass, change) in changes where change > 0 {
                let capacity = provider.inventories[resourceClass]?.capacity ?? 0
                guard (provider.usages[resourceClass] ?? 0).saturatingAdd(change) <= capacity else {
                    throw NovaError(
                        .conflict,
                        "Unable to allocate inventory: Unable to create allocation for '\(resourceClass)' on resource provider '\(providerUUID)'. The requested amount would exceed the capacity."
                    )
                }
            }
        }
        for write in writes { apply(write, now: now) }
        // The ones only left (apply) are marked changed for their usages, without a new generation.
        for providerUUID in bumped { update(providerUUID, bump: true, generationOnly: true) { _ in } }
    }

    func checkConsumerGeneration(_ write: AllocationWrite, _ existing: Consumer?) throws(NovaError) {
        guard write.checkGeneration else { return }
        // Placement words it as the generation it holds ("expected") and the one the client sent ("got").
        if let existing, write.consumerGeneration != existing.generation {
            throw NovaError(
                .placementConflict,
                "consumer generation conflict - expected \(existing.generation) but got \(write.consumerGeneration.map(String.init) ?? "null")"
            )
        }
        if existing == nil, let generation = write.consumerGeneration {
            throw NovaError(.placementConflict, "consumer generation conflict - expected null but got \(generation)")
        }
    }

    /// A class Placement does not know is 400; one the provider has no inventory of, or an amount its unit
    /// rules refuse, 409 (Placement's InvalidInventory).
    func checkUnits(_ providerUUID: String, _ resources: [String: Int], consumer: String) throws(NovaError) {
        guard let provider = providers[providerUUID] else {
            throw .badRequest("Allocation for resource provider '\(providerUUID)' that does not exist.")
        }
        for (resourceClass, amount) in resources.sorted(by: { $0.key < $1.key }) {
            guard amount >= 1 else { throw .badRequest("Allocation amount for \(resourceClass) must be at least 1.") }
            guard isKnownClass(resourceClass) else {
                throw .badRequest(
                    "Unable to allocate inventory for consumer \(consumer): No such resource class \(resourceClass).")
            }
            guard let inventory = provider.inventories[resourceClass] else {
                throw NovaError(
                    .conflict,
                    "Unable to allocate inventory: Inventory for '\(resourceClass)' on resource provider '\(providerUUID)' invalid."
                )
            }
            guard inventory.allowsUnit(amount) else {
                throw NovaError(
                    .conflict,
                    "Unable to allocate inventory: Unable to create allocation for '\(resourceClass)' on resource provider '\(providerUUID)'. The requested amount would violate inventory constraints."
                )
            }
        }
    }

    /// Replaces one consumer's allocations (already validated), keeping usages and generations in step.
    mutating func apply(_ write: AllocationWrite, now: Date) {
        let existing = consumers[write.consumerUUID]
        if let existing { apply(existing.allocations, sign: -1) }
        apply(write.allocations, sign: 1)
        // The providers left are marked changed for their usages (writeAllocations bumps the ones used).
        for providerUUID in (existing?.allocations.keys).map(Array.init) ?? []
        where write.allocations[providerUUID] == nil {
            update(providerUUID, bump: false, generationOnly: true) { _ in }
        }
        if write.allocations.isEmpty {
            consumers[write.consumerUUID] = nil
        } else {
            var consumer =
                existing
                ?? Consumer(uuid: write.consumerUUID, projectID: write.projectID, userID: write.userID, createdAt: now)
            consumer.projectID = write.projectID
            consumer.userID = write.userID
            consumer.allocations = write.allocations
            consumer.generation += 1
            consumer.updatedAt = now
            if let type = write.consumerType { consumer.consumerType = type }
            consumers[write.consumerUUID] = consumer
        }
        changes.consumers.insert(write.consumerUUID)
    }

    /// DELETE /allocations/{consumer}.
    public mutating func deleteAllocations(_ consumerUUID: String) throws(NovaError) {
        guard let consumer = consumers[consumerUUID] else {
            throw .notFound("No allocations for consumer '\(consumerUUID)'")
        }
        // Removing allocations cannot break a rule, and Placement's delete leaves generations as they are.
        apply(
            AllocationWrite(
                consumerUUID: consumerUUID, allocations: [:], projectID: consumer.projectID, userID: consumer.userID,
                checkGeneration: false),
            now: Date())
    }
}

extension PlacementState {
    /// POST /reshaper: new inventories and allocations in one step. Generations are checked against the state
    /// before the change, since moving allocations bumps them on the way.
    public mutating func reshape(inventories: [(String, Int, [String: Inventory])], allocations: [AllocationWrite])
        throws(NovaError)
    {
        for (uuid, generation, _) in inventories {
            guard let provider = providers[uuid] else {
                throw NovaError(
                    NovaError.Code(status: 400, name: NovaError.Code.providerNotFound.name),
                    "Resource provider \(uuid) in inventories not found: No resource provider with uuid \(uuid) found")
            }
            guard provider.generation == generation else {
                throw NovaError(
                    .placementConflict,
                    "resource provider generation conflict for provider \(uuid): actual: \(provider.generation), given: \(generation)"
                )
            }
        }
        for write in allocations { try checkConsumerGeneration(write, consumers[write.consumerUUID]) }
        for (_, _, set) in inventories {
            for resourceClass in set.keys.sorted() where !isKnownClass(resourceClass) {
                throw .badRequest("malformed reshaper data: No such resource class \(resourceClass).")
            }
        }
        // As Placement does it: each provider first holds its old and new inventories together, the
        // allocations move, then each provider keeps only its new inventories (what is still used stays).
        var staged = self
        for (uuid, _, set) in inventories where !set.isEmpty {
            let interim = staged.providers[uuid]?.inventories.merging(set) { _, new in new } ?? set
            try staged.setInventories(uuid, generation: nil, interim)
        }
        var final = allocations
        for index in final.indices { final[index].checkGeneration = false }
        try staged.writeAllocations(final)
        for (uuid, _, set) in inventories {
            do {
                try staged.setInventories(uuid, generation: nil, set)
            } catch  where error.code == .inventoryInUse {
                throw NovaError(.inventoryInUse, "update conflict: \(error.message)")
            }
        }
        self = staged
    }
}
