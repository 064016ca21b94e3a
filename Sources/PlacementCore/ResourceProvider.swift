import Foundation
import Synchronization

/// A resource provider: a compute node, a NUMA cell under it, a shared storage pool...
///
/// Its fields live in one shared storage object, copied when a copy is changed: the candidate search and
/// every snapshot read copy providers by the thousand, and a copy is then one reference, not eleven.
public struct ResourceProvider: Sendable, Equatable {
    final class Storage: @unchecked Sendable {
        var uuid: String
        var name: String
        var generation: Int
        var parentUUID: String?
        var rootUUID: String
        var inventories: [String: Inventory]
        var traits: Set<String>
        var aggregates: Set<String>
        var usages: [String: Int]
        var createdAt: Date
        var updatedAt: Date
        /// The provider as allocation candidates summarise it from 1.29, written when first asked for.
        /// Only read through the lock: a snapshot is shared by concurrent requests.
        let summary = Mutex<[UInt8]?>(nil)

        init(
            uuid: String,
            name: String,
            generation: Int,
            parentUUID: String?,
            rootUUID: String,
            inventories: [String: Inventory],
            traits: Set<String>,
            aggregates: Set<String>,
            usages: [String: Int],
            createdAt: Date,
            updatedAt: Date
        ) {
            self.uuid = uuid
            self.name = name
            self.generation = generation
            self.parentUUID = parentUUID
            self.rootUUID = rootUUID
            self.inventories = inventories
            self.traits = traits
            self.aggregates = aggregates
            self.usages = usages
            self.createdAt = createdAt
            self.updatedAt = updatedAt
        }

        func copy() -> Storage {
            Storage(
                uuid: uuid,
                name: name,
                generation: generation,
                parentUUID: parentUUID,
                rootUUID: rootUUID,
                inventories: inventories,
                traits: traits,
                aggregates: aggregates,
                usages: usages,
                createdAt: createdAt,
                updatedAt: updatedAt)
        }
    }

    var storage: Storage

    public var uuid: String {
        get { storage.uuid }
        _modify {
            makeUnique()
            yield &storage.uuid
        }
    }

    public var name: String {
        get { storage.name }
        _modify {
            makeUnique()
            yield &storage.name
        }
    }

    public var generation: Int {
        get { storage.generation }
        _modify {
            makeUnique()
            yield &storage.generation
        }
    }

    public var parentUUID: String? {
        get { storage.parentUUID }
        _modify {
            makeUnique()
            yield &storage.parentUUID
        }
    }

    public var rootUUID: String {
        get { storage.rootUUID }
        _modify {
            makeUnique()
            yield &storage.rootUUID
        }
    }

    public var inventories: [String: Inventory] {
        get { storage.inventories }
        _modify {
            makeUnique()
            yield &storage.inventories
        }
    }

    public var traits: Set<String> {
        get { storage.traits }
        _modify {
            makeUnique()
            yield &storage.traits
        }
    }

    public var aggregates: Set<String> {
        get { storage.aggregates }
        _modify {
            makeUnique()
            yield &storage.aggregates
        }
    }

    public var usages: [String: Int] {
        get { storage.usages }
        _modify {
            makeUnique()
            yield &storage.usages
        }
    }

    public var createdAt: Date {
        get { storage.createdAt }
        _modify {
            makeUnique()
            yield &storage.createdAt
        }
    }

    public var updatedAt: Date {
        get { storage.updatedAt }
        _modify {
            makeUnique()
            yield &storage.updatedAt
        }
    }

    public init(
        uuid: String, name: String, generation: Int = 0, parentUUID: String? = nil, rootUUID: String? = nil,
        inventories: [String: Inventory] = [:], traits: Set<String> = [], aggregates: Set<String> = [],
        usages: [String: Int] = [:], createdAt: Date = Date(), updatedAt: Date = Date()
    ) {
        storage = Storage(
            uuid: uuid, name: name, generation: generation, parentUUID: parentUUID, rootUUID: rootUUID ?? uuid,
            inventories: inventories, traits: traits, aggregates: aggregates, usages: usages, createdAt: createdAt,
            updatedAt: updatedAt)
    }

    /// Before a change: a storage another copy shares is copied first, and a written summary is dropped.
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        } else {
            storage.summary.withLock { $0 = nil }
        }
    }

    public static func == (lhs: ResourceProvider, rhs: ResourceProvider) -> Bool {
        if lhs.storage === rhs.storage { return true }
        return lhs.uuid == rhs.uuid && lhs.name == rhs.name && lhs.generation == rhs.generation
            && lhs.parentUUID == rhs.parentUUID && lhs.rootUUID == rhs.rootUUID && lhs.inventories == rhs.inventories
            && lhs.traits == rhs.traits && lhs.aggregates == rhs.aggregates && lhs.usages == rhs.usages
            && lhs.createdAt == rhs.createdAt && lhs.updatedAt == rhs.updatedAt
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
