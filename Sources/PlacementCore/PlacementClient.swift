import NovaCore

/// What a compute host reports about its provider (update_provider_tree, flat).
public struct ProviderReport: Sendable, Codable, Equatable {
    public var uuid: String
    public var name: String
    public var inventories: [String: Inventory]
    /// The COMPUTE_* traits, all owned by the host; other traits on the provider (an operator's CUSTOM_*) are kept.
    public var traits: Set<String>

    public init(uuid: String, name: String, inventories: [String: Inventory], traits: Set<String>) {
        self.uuid = uuid
        self.name = name
        self.inventories = inventories
        self.traits = traits
    }
}

/// Placement as the scheduler, compute hosts and the compute API use it (nova/scheduler/client/report.py).
/// In one process the service itself; across processes an HTTP client.
public protocol PlacementClient: Sendable {
    func allocationCandidates(_ query: CandidateQuery) async throws -> CandidateResult
    /// Why root providers gave no candidate: root uuid -> the first constraint it failed.
    func explainRejections(_ query: CandidateQuery) async throws -> [String: String]
    /// Writes the allocations; false when capacity or a generation changed under the caller (409).
    func claim(_ writes: [AllocationWrite]) async throws -> Bool
    /// Removes a consumer's allocations; nothing happens when it has none.
    func deleteAllocations(consumer: String) async throws
    func reportProvider(_ report: ProviderReport) async throws
    /// Adds or removes a trait on every root provider named `name` (the compute node of a host).
    func setTrait(_ trait: String, present: Bool, providerNamed name: String) async throws
    /// Adds or removes a provider (by name) from an aggregate, as Nova mirrors host aggregates.
    func setAggregate(_ aggregateUUID: String, member: Bool, providerNamed name: String) async throws
    /// Usage per provider uuid, and how many consumers hold something on it.
    func providerUsages() async throws -> [String: (usages: [String: Int], consumers: Int)]
    /// A consumer's allocations by provider uuid (empty when it has none).
    func allocations(consumer: String) async throws -> [String: [String: Int]]
    /// Nova's move_allocations: in one write, `target` gets what `source` holds (replacing what it held) and
    /// `source` is left with nothing. Nothing happens when `source` holds nothing.
    func moveAllocations(from source: String, to target: String, targetType: String) async throws
}

extension PlacementService: PlacementClient {
    public func allocationCandidates(_ query: CandidateQuery) async throws -> CandidateResult {
        candidates(query, in: snapshot)
    }

    public func explainRejections(_ query: CandidateQuery) async throws -> [String: String] {
        snapshot.explainRejections(query)
    }

    public func claim(_ writes: [AllocationWrite]) async throws -> Bool {
        do {
            try await write { try $0.writeAllocations(writes) }
            return true
        } catch let error as NovaError where error.code.status == 409 {
            return false
        }
    }

    public func deleteAllocations(consumer: String) async throws {
        try await write { state in
            if state.consumers[consumer] != nil { try state.deleteAllocations(consumer) }
        }
    }

    public func reportProvider(_ report: ProviderReport) async throws {
        try await write { state in
            if state.providers[report.uuid] == nil {
                if let other = state.provider(named: report.name), other.usages.isEmpty {
                    try state.deleteProvider(other.uuid)
                }
                try state.createProvider(uuid: report.uuid, name: report.name, parentUUID: nil)
            }
            let provider = try state.provider(report.uuid)
            if provider.name != report.name {
                try state.updateProvider(report.uuid, name: report.name, parentUUID: provider.parentUUID)
            }
            if provider.inventories != report.inventories {
                try state.setInventories(report.uuid, generation: nil, report.inventories)
            }
            let kept = provider.traits.filter { !$0.hasPrefix("COMPUTE_") }
            let traits = kept.union(report.traits)
            if traits != provider.traits { try state.setTraits(report.uuid, generation: nil, traits) }
        }
    }

    public func setTrait(_ trait: String, present: Bool, providerNamed name: String) async throws {
        try await toggle(trait, present, name, \.traits) { try $0.setTraits($1, generation: nil, $2) }
    }

    public func setAggregate(_ aggregateUUID: String, member: Bool, providerNamed name: String) async throws {
        try await toggle(aggregateUUID, member, name, \.aggregates) { try $0.setAggregates($1, generation: nil, $2) }
    }

    /// Adds or removes one member of a provider's set (traits or aggregates), writing only on a change.
    func toggle(
        _ value: String, _ present: Bool, _ name: String, _ set: KeyPath<ResourceProvider, Set<String>>,
        _ store: @escaping (inout PlacementState, String, Set<String>) throws -> Void
    ) async throws {
        try await write { state in
            guard let provider = state.provider(named: name) else { return }
            var values = provider[keyPath: set]
            if present { values.insert(value) } else { values.remove(value) }
            if values != provider[keyPath: set] { try store(&state, provider.uuid, values) }
        }
    }

    public func allocations(consumer: String) async throws -> [String: [String: Int]] {
        snapshot.consumers[consumer]?.allocations ?? [:]
    }

    public func moveAllocations(from source: String, to target: String, targetType: String) async throws {
        try await write { state in
            guard let held = state.consumers[source], !held.allocations.isEmpty else { return }
            try state.writeAllocations([
                AllocationWrite(
                    consumerUUID: target, allocations: held.allocations, projectID: held.projectID,
                    userID: held.userID, checkGeneration: false, consumerType: targetType),
                AllocationWrite(
                    consumerUUID: source, allocations: [:], projectID: held.projectID, userID: held.userID,
                    checkGeneration: false),
            ])
        }
    }

    public func providerUsages() async throws -> [String: (usages: [String: Int], consumers: Int)] {
        let state = snapshot
        var counts: [String: Int] = [:]
        for consumer in state.consumers.values {
            for provider in consumer.allocations.keys { counts[provider, default: 0] += 1 }
        }
        var result: [String: (usages: [String: Int], consumers: Int)] = [:]
        for (uuid, provider) in state.providers { result[uuid] = (provider.usages, counts[uuid] ?? 0) }
        return result
    }
}
