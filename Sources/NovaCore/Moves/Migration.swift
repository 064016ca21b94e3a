import Foundation

/// Nova's migration_type values.
public enum MigrationType: String, Sendable, Codable {
    case migration, resize, evacuation
    case liveMigration = "live-migration"
}

/// A migration record (nova/objects/migration.py): one move of one instance, with the statuses Nova uses.
/// While a move runs, Placement holds the source allocation under the migration's uuid.
public struct Migration: Sendable, Codable, Equatable {
    /// The integer id the API shows; 0 until stored.
    public var id: Int
    public var uuid: String
    public var instanceUUID: String
    public var migrationType: MigrationType
    public var status: String
    public var sourceCompute: String?
    public var sourceNode: String?
    public var destCompute: String?
    public var destNode: String?
    public var destHost: String?
    public var oldFlavor: Flavor
    public var newFlavor: Flavor
    /// The vm_state the instance had before the move (Nova's system_metadata old_vm_state).
    public var oldVMState: VMState
    public var projectID: String
    public var userID: String
    public var createdAt: Date
    public var updatedAt: Date
    public var memoryTotal: Int?
    public var memoryProcessed: Int?
    public var memoryRemaining: Int?
    public var diskTotal: Int?
    public var diskProcessed: Int?
    public var diskRemaining: Int?

    public init(
        uuid: String, instance: Instance, type: MigrationType, status: String, newFlavor: Flavor, createdAt: Date
    ) {
        self.id = 0
        self.uuid = uuid
        self.instanceUUID = instance.uuid
        self.migrationType = type
        self.status = status
        self.sourceCompute = instance.host
        self.sourceNode = instance.node
        self.oldFlavor = instance.flavor
        self.newFlavor = newFlavor
        self.oldVMState = instance.vmState
        self.projectID = instance.projectID
        self.userID = instance.userID
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// Statuses of a live migration still under way (GET /servers/{id}/migrations lists only these).
    public static let liveInProgress: Set<String> = ["queued", "preparing", "running", "post-migrating"]
    /// Statuses after which nothing more happens to a migration.
    public static let finalStatuses: Set<String> = [
        "confirmed", "reverted", "error", "failed", "completed", "cancelled", "done",
    ]
}

/// A change to a migration record, applied by the conductor together with its task's step.
public struct MigrationUpdate: Sendable, Codable, Equatable {
    public var status: String?
    public var destCompute: String?
    public var destNode: String?
    public var destHost: String?
    public var memoryTotal: Int?
    public var memoryProcessed: Int?
    public var memoryRemaining: Int?

    public init(
        status: String? = nil, destCompute: String? = nil, destNode: String? = nil, destHost: String? = nil,
        memoryTotal: Int? = nil, memoryProcessed: Int? = nil, memoryRemaining: Int? = nil
    ) {
        self.status = status
        self.destCompute = destCompute
        self.destNode = destNode
        self.destHost = destHost
        self.memoryTotal = memoryTotal
        self.memoryProcessed = memoryProcessed
        self.memoryRemaining = memoryRemaining
    }

    public func apply(to migration: inout Migration, at date: Date) {
        if let status { migration.status = status }
        if let destCompute { migration.destCompute = destCompute }
        if let destNode { migration.destNode = destNode }
        if let destHost { migration.destHost = destHost }
        if let memoryTotal { migration.memoryTotal = memoryTotal }
        if let memoryProcessed { migration.memoryProcessed = memoryProcessed }
        if let memoryRemaining { migration.memoryRemaining = memoryRemaining }
        migration.updatedAt = date
    }
}
