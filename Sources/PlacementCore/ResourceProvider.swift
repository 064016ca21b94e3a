import Foundation

/// A resource provider: a compute node, a NUMA cell under it, a shared storage pool...
public struct ResourceProvider: Sendable, Equatable {
    public var uuid: String
    public var name: String
    public var generation: Int
    public var parentUUID: String?
    public var rootUUID: String
    public var inventories: [String: Inventory]
    public var traits: Set<String>
    public var aggregates: Set<String>
    /// Allocated amount per resource class, kept in step with the consumers' allocations.
    public var usages: [String: Int]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        uuid: String, name: String, generation: Int = 0, parentUUID: String? = nil, rootUUID: String? = nil,
        inventories: [String: Inventory] = [:], traits: Set<String> = [], aggregates: Set<String> = [],
        usages: [String: Int] = [:], createdAt: Date = Date(), updatedAt: Date = Date()
    ) {
        self.uuid = uuid
        self.name = name
        self.generation = generation
        self.parentUUID = parentUUID
        self.rootUUID = rootUUID ?? uuid
        self.inventories = inventories
        self.traits = traits
        self.aggregates = aggregates
        self.usages = usages
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Free capacity for a resource class; 0 when the provider has no such inventory.
    public func free(_ resourceClass: String) -> Int {
        guard let inventory = inventories[resourceClass] else { return 0 }
        return inventory.capacity - (usages[resourceClass] ?? 0)
    }

    /// Whether `amount` more of the class can be allocated here: unit rules and capacity.
    public func canAllocate(_ resourceClass: String, _ amount: Int) -> Bool {
        guard let inventory = inventories[resourceClass] else { return false }
        return inventory.allowsUnit(amount) && (usages[resourceClass] ?? 0).saturatingAdd(amount) <= inventory.capacity
    }
}

/// A consumer (an instance or a migration) and what it holds: provider uuid -> resource class -> amount.
public struct Consumer: Sendable, Equatable {
    /// The type of a consumer written with none (before 1.38): Placement shows it as `unknown`, which no
    /// client can write (types are upper case).
    public static let untyped = "unknown"

    public var uuid: String
    public var projectID: String
    public var userID: String
    public var generation: Int
    public var consumerType: String
    public var allocations: [String: [String: Int]]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        uuid: String, projectID: String, userID: String, generation: Int = 0, consumerType: String = Consumer.untyped,
        allocations: [String: [String: Int]] = [:], createdAt: Date = Date(), updatedAt: Date = Date()
    ) {
        self.uuid = uuid
        self.projectID = projectID
        self.userID = userID
        self.generation = generation
        self.consumerType = consumerType
        self.allocations = allocations
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One consumer's allocations as a write asks for them (PUT /allocations/{c} or an entry of POST /allocations).
public struct AllocationWrite: Sendable, Equatable {
    public var consumerUUID: String
    public var allocations: [String: [String: Int]]
    public var projectID: String
    public var userID: String
    /// The generation the writer last saw; nil for a consumer it believes new. Not checked when `checkGeneration`
    /// is false (microversions before 1.28).
    public var consumerGeneration: Int?
    public var checkGeneration: Bool
    public var consumerType: String?

    public init(
        consumerUUID: String, allocations: [String: [String: Int]], projectID: String, userID: String,
        consumerGeneration: Int? = nil, checkGeneration: Bool = true, consumerType: String? = nil
    ) {
        self.consumerUUID = consumerUUID
        self.allocations = allocations
        self.projectID = projectID
        self.userID = userID
        self.consumerGeneration = consumerGeneration
        self.checkGeneration = checkGeneration
        self.consumerType = consumerType
    }
}
