import Foundation
import NovaCore

/// Writes to providers, their inventories, traits and aggregates, and to custom classes and traits.
extension PlacementState {
    func checkGeneration(_ provider: ResourceProvider, _ generation: Int?) throws(NovaError) {
        if let generation, generation != provider.generation {
            throw .generationConflict("resource provider generation conflict:")
        }
    }

    // MARK: Providers

    @discardableResult
    public mutating func createProvider(uuid: String?, name: String, parentUUID: String?) throws(NovaError)
        -> ResourceProvider
    {
        let uuid = uuid ?? UUID().uuidString.lowercased()
        guard !name.isEmpty, name.count <= 200 else { throw .badRequest("Provider name must be 1 to 200 characters.") }
        if providers[uuid] != nil {
            throw NovaError(.duplicateName, "Conflicting resource provider uuid: \(uuid) already exists.")
        }
        if names[name] != nil {
            throw NovaError(.duplicateName, "Conflicting resource provider name: \(name) already exists.")
        }
        var root = uuid
        if let parentUUID {
            guard parentUUID != uuid else {
                throw .badRequest(
                    "Unable to create resource provider \"\(name)\", \(uuid): Object action create failed because: "
                        + "parent provider UUID cannot be same as UUID. Please choose a different parent provider UUID."
                )
            }
            guard let parent = providers[parentUUID] else {
                throw .badRequest(
                    "Unable to create resource provider \"\(name)\", \(uuid): Object action create failed because: "
                        + "parent provider UUID does not exist.")
            }
            root = parent.rootUUID
        }
        let provider = ResourceProvider(uuid: uuid, name: name, generation: 0, parentUUID: parentUUID, rootUUID: root)
        insert(provider)
        changes.providers.insert(uuid)
        return provider
    }

    /// PUT /resource_providers/{uuid}: a new name, a parent for a root (its subtree moves with it); from 1.37
    /// (`allowReparenting`) a child may change parents or become a root. Its generation stays.
    public mutating func updateProvider(
        _ uuid: String, name: String, parentUUID: String?, allowReparenting: Bool = false
    )
        throws(NovaError)
    {
        let provider = try provider(uuid)
        if let other = names[name], other != uuid {
            throw NovaError(.duplicateName, "Conflicting resource provider \(name) already exists.")
        }
        func refuse(_ reason: String) -> NovaError {
            .badRequest("Unable to save resource provider \(uuid): Object action update failed because: \(reason)")
        }
        if parentUUID != provider.parentUUID {
            var newRoot = uuid
            if let parentUUID {
                guard let parent = providers[parentUUID] else { throw refuse("parent provider UUID does not exist.") }
                guard provider.parentUUID == nil || allowReparenting else {
                    throw refuse("re-parenting a provider is not currently allowed.")
                }
                guard !isDescendant(parentUUID, of: uuid) else {
                    throw refuse("creating loop in the provider tree is not allowed.")
                }
                newRoot = parent.rootUUID
            } else if !allowReparenting {
                throw refuse("un-parenting a provider is not currently allowed.")
            }
            if let old = provider.parentUUID { removeChild(uuid, of: old) }
            if let parentUUID { children[parentUUID, default: []].insert(uuid) }
            for member in subtree(of: uuid) where member != uuid {
                update(member, bump: false) { $0.rootUUID = newRoot }
            }
            update(uuid, bump: false) {
                $0.parentUUID = parentUUID
                $0.rootUUID = newRoot
            }
        }
        update(uuid, bump: false) { $0.name = name }
    }

    public mutating func deleteProvider(_ uuid: String) throws(NovaError) {
        let provider = try provider(uuid)
        if children[uuid]?.isEmpty == false {
            throw NovaError(
                .cannotDeleteParent,
                "Unable to delete parent resource provider \(uuid): It has child resource providers.")
        }
        if !provider.usages.isEmpty {
            throw NovaError(
                .providerInUse, "Unable to delete resource provider \(uuid): Resource provider has allocations.")
        }
        remove(uuid)
        children[uuid] = nil
        changes.providers.insert(uuid)
    }

    // MARK: Inventories

    /// Replaces every inventory (PUT .../inventories); a class with allocations cannot be removed.
    /// `reservedCanBeTotal`: the rule from 1.26 on.
    public mutating func setInventories(
        _ uuid: String, generation: Int?, _ inventories: [String: Inventory], reservedCanBeTotal: Bool = true
    ) throws(NovaError) {
        let provider = try provider(uuid)
        try checkGeneration(provider, generation)
        for (resourceClass, inventory) in inventories.sorted(by: { $0.key < $1.key }) {
            guard isKnownClass(resourceClass) else {
                throw .badRequest("Unknown resource class in inventory for resource provider \(uuid): \(resourceClass)")
            }
            try inventory.validate(resourceClass, provider: uuid, reservedCanBeTotal: reservedCanBeTotal)
        }
        let inUse = provider.inventories.keys.filter { inventories[$0] == nil && provider.usages[$0] != nil }
        if !inUse.isEmpty {
            // Named in Placement's order of classes: the standard ones as os-resource-classes lists them.
            let order = Dictionary(uniqueKeysWithValues: ResourceClasses.standard.enumerated().map { ($1, $0) })
            let names = inUse.sorted { (order[$0] ?? Int.max, $0) < (order[$1] ?? Int.max, $1) }
            throw NovaError(
                .inventoryInUse,
                "Inventory for '\(names.joined(separator: ", "))' on resource provider '\(uuid)' in use.")
        }
        update(uuid) { $0.inventories = inventories }
    }

    public mutating func setInventory(
        _ uuid: String, _ resourceClass: String, generation: Int?, _ inventory: Inventory,
        reservedCanBeTotal: Bool = true
    ) throws(NovaError) {
        var all = try provider(uuid).inventories
        all[resourceClass] = inventory
        try setInventories(uuid, generation: generation, all, reservedCanBeTotal: reservedCanBeTotal)
    }

    public mutating func deleteInventory(_ uuid: String, _ resourceClass: String, generation: Int?) throws(NovaError) {
        var all = try provider(uuid).inventories
        guard all.removeValue(forKey: resourceClass) != nil else {
            throw .notFound("No inventory of class \(resourceClass) found for delete")
        }
        try setInventories(uuid, generation: generation, all)
    }

    // MARK: Traits and aggregates

    public mutating func setTraits(_ uuid: String, generation: Int?, _ traits: Set<String>) throws(NovaError) {
        let provider = try provider(uuid)
        try checkGeneration(provider, generation)
        let unknown = traits.filter { !isKnownTrait($0) }.sorted()
        guard unknown.isEmpty else { throw .badRequest("No such trait(s): \(unknown.joined(separator: ", ")).") }
        update(uuid) { $0.traits = traits }
    }

    public mutating func setAggregates(_ uuid: String, generation: Int?, _ aggregates: Set<String>) throws(NovaError) {
        let provider = try provider(uuid)
        try checkGeneration(provider, generation)
        update(uuid) { $0.aggregates = aggregates }
    }

    // MARK: Custom classes and traits

    public mutating func createResourceClass(_ name: String) throws(NovaError) {
        guard ResourceClasses.isValidCustom(name) else {
            throw .badRequest("Failed validating 'pattern': '\(name)' does not match '^CUSTOM_[A-Z0-9_]+$'")
        }
        guard !isKnownClass(name) else {
            throw NovaError(.duplicateName, "Conflicting resource class already exists: \(name)")
        }
        customClasses.insert(name)
        changes.classes.insert(name)
    }

    public mutating func deleteResourceClass(_ name: String) throws(NovaError) {
        if ResourceClasses.standardSet.contains(name) {
            throw .badRequest("Error in delete resource class: Cannot delete standard resource class \(name).")
        }
        guard customClasses.contains(name) else { throw .notFound("No such resource class \(name).") }
        if providers.values.contains(where: { $0.inventories[name] != nil }) {
            throw .conflict(
                "Error in delete resource class: Cannot delete resource class \(name). Class is in use in inventory.")
        }
        customClasses.remove(name)
        changes.classes.insert(name)
    }

    /// PUT /resource_classes/{name} before 1.7: a custom class takes a new name, in every inventory and
    /// allocation that uses it.
    public mutating func renameResourceClass(_ name: String, to newName: String) throws(NovaError) {
        if ResourceClasses.standardSet.contains(name) {
            throw .badRequest("Cannot update standard resource class \(name)")
        }
        guard customClasses.contains(name) else { throw .notFound("No such resource class \(name).") }
        guard newName == name || !isKnownClass(newName) else {
            throw .conflict("Resource class already exists: \(newName)")
        }
        guard newName != name else { return }
        customClasses.remove(name)
        customClasses.insert(newName)
        changes.classes.formUnion([name, newName])
        func renamed<Value>(_ map: [String: Value]) -> [String: Value] {
            var map = map
            if let value = map.removeValue(forKey: name) { map[newName] = value }
            return map
        }
        for (uuid, provider) in providers where provider.inventories[name] != nil || provider.usages[name] != nil {
            update(uuid, bump: false) {
                $0.inventories = renamed($0.inventories)
                $0.usages = renamed($0.usages)
            }
        }
        for (uuid, consumer) in consumers where consumer.allocations.values.contains(where: { $0[name] != nil }) {
            var changed = consumer
            changed.allocations = consumer.allocations.mapValues(renamed)
            consumers[uuid] = changed
            changes.consumers.insert(uuid)
        }
    }

    public static let invalidTraitMessage =
        "The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix \"CUSTOM_\" "
        + "and use following characters: \"A\"-\"Z\", \"0\"-\"9\" and \"_\""

    public mutating func createTrait(_ name: String) throws(NovaError) {
        guard ResourceClasses.isValidCustom(name) else { throw .badRequest(Self.invalidTraitMessage) }
        customTraits.insert(name)
        changes.traits.insert(name)
    }

    public mutating func deleteTrait(_ name: String) throws(NovaError) {
        if StandardTraits.allSet.contains(name) { throw .badRequest("Cannot delete standard trait \(name).") }
        guard customTraits.contains(name) else { throw .notFound("No such trait(s): \(name).") }
        if providers.values.contains(where: { $0.traits.contains(name) }) {
            throw .conflict("The trait \(name) is in use by a resource provider.")
        }
        customTraits.remove(name)
        changes.traits.insert(name)
    }
}
