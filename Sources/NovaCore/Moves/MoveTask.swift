import Foundation

/// The moves the conductor runs as durable tasks.
public enum MoveOperation: String, Sendable, Codable {
    case resize, migrate
    case confirmResize = "confirm_resize"
    case revertResize = "revert_resize"
    case liveMigrate = "live_migrate"
    case evacuate

    /// The instance action the API records for it.
    public var actionName: String {
        switch self {
        case .resize: return "resize"
        case .migrate: return "migrate"
        case .confirmResize: return "confirmResize"
        case .revertResize: return "revertResize"
        case .liveMigrate: return "live-migration"
        case .evacuate: return "evacuate"
        }
    }

    /// The step a new task of this operation starts at.
    public var firstStep: MoveStep {
        switch self {
        case .resize, .migrate, .liveMigrate, .evacuate: return .schedule
        case .confirmResize: return .confirmResize
        case .revertResize: return .revertResize
        }
    }
}

/// One step of a move, named after the RPC method (or conductor stage) that carries it out.
public enum MoveStep: String, Sendable, Codable {
    /// Conductor: hold the source allocation by the migration, choose and claim a destination.
    case schedule
    case prepResize = "prep_resize"
    case resizeInstance = "resize_instance"
    case finishResize = "finish_resize"
    case confirmResize = "confirm_resize"
    case revertResize = "revert_resize"
    case finishRevertResize = "finish_revert_resize"
    case liveMigration = "live_migration"
    /// Destination of an evacuation: build the guest afresh from its image.
    case rebuildInstance = "rebuild_evacuated_instance"

    /// Whether the source guest may already have been stopped or moved when this step runs: a task that dies
    /// here cannot be undone by giving the allocations back alone, and ends the instance in ERROR.
    public var sourceTouched: Bool {
        switch self {
        case .schedule, .prepResize, .confirmResize, .revertResize, .rebuildInstance: return false
        case .resizeInstance, .finishResize, .finishRevertResize, .liveMigration: return true
        }
    }
}

/// A durable task row: the operation, where it stands, who acts next and by when. It is written in the same
/// transaction as the state change that starts it; the conductor's sweep retries or rolls back a task whose
/// deadline passed, so no instance stays in a transitional state.
public struct MoveTask: Sendable, Codable, Equatable {
    public var uuid: String
    public var instanceUUID: String
    public var migrationUUID: String
    public var operation: MoveOperation
    public var step: MoveStep
    /// The compute host that must act next; nil when the conductor does.
    public var host: String?
    public var attempts: Int
    public var deadline: Date
    public var requestID: String
    /// What the caller asked for: a destination host, block migration for a live migration.
    public var requestedHost: String?
    public var blockMigration: Bool
    /// Evacuation from 2.95: the rebuilt server stays stopped.
    public var leaveStopped: Bool = false
    /// `force` with a host (live migration 2.30-2.67, evacuate 2.29-2.67): the host is taken without the
    /// scheduler's filters.
    public var forceHost: Bool?
    /// What the source compute handed over for the destination (a disk to copy in a cold move).
    public var transfer: MoveTransfer?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        uuid: String, instanceUUID: String, migrationUUID: String, operation: MoveOperation, host: String?,
        deadline: Date, requestID: String, requestedHost: String? = nil, blockMigration: Bool = false,
        createdAt: Date
    ) {
        self.uuid = uuid
        self.instanceUUID = instanceUUID
        self.migrationUUID = migrationUUID
        self.operation = operation
        self.step = operation.firstStep
        self.host = host
        self.attempts = 0
        self.deadline = deadline
        self.requestID = requestID
        self.requestedHost = requestedHost
        self.blockMigration = blockMigration
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

/// What a cold move's source leaves for its destination.
public struct MoveTransfer: Sendable, Codable, Equatable {
    /// The stopped guest's root disk, readable by the destination host (nil for drivers without disks).
    public var diskPath: String?
    public init(diskPath: String?) { self.diskPath = diskPath }
}

/// The next step of a task, with the instance and migration changes that go with it, applied in one
/// transaction. `expectedStep` makes it a compare-and-set: a duplicate or late message changes nothing.
public struct MoveAdvance: Sendable, Codable, Equatable {
    public var taskUUID: String
    public var expectedStep: MoveStep
    /// The step that follows; nil when the task is finished (its row is deleted).
    public var nextStep: MoveStep?
    public var nextHost: String?
    public var transfer: MoveTransfer?
    public var instance: InstanceUpdate?
    public var migration: MigrationUpdate?

    public init(
        taskUUID: String, expectedStep: MoveStep, nextStep: MoveStep?, nextHost: String? = nil,
        transfer: MoveTransfer? = nil, instance: InstanceUpdate? = nil, migration: MigrationUpdate? = nil
    ) {
        self.taskUUID = taskUUID
        self.expectedStep = expectedStep
        self.nextStep = nextStep
        self.nextHost = nextHost
        self.transfer = transfer
        self.instance = instance
        self.migration = migration
    }
}

/// A task with the rows it moves: what a step needs to act.
public struct MoveState: Sendable, Codable, Equatable {
    /// nil once the task finished.
    public var task: MoveTask?
    public var instance: Instance
    public var migration: Migration

    public init(task: MoveTask?, instance: Instance, migration: Migration) {
        self.task = task
        self.instance = instance
        self.migration = migration
    }
}
