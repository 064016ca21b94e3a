/// A step that could not be done; the conductor rolls the task back.
public struct MoveFailure: Sendable, Codable, Equatable {
    public var taskUUID: String
    public var step: MoveStep
    public var message: String
    /// The guest still runs (or rests) unharmed on the source: the rollback restores the instance rather than
    /// ending it in ERROR (a failed or aborted live migration).
    public var sourceIntact: Bool
    /// The migration's final status ("error" when nil; "failed" or "cancelled" for live migrations).
    public var migrationStatus: String?

    public init(taskUUID: String, step: MoveStep, message: String, sourceIntact: Bool, migrationStatus: String? = nil) {
        self.taskUUID = taskUUID
        self.step = step
        self.message = message
        self.sourceIntact = sourceIntact
        self.migrationStatus = migrationStatus
    }
}

/// Where a live migration's source sends the guest (pre_live_migration's answer).
public struct LiveMigrationTarget: Sendable, Codable, Equatable {
    /// The destination's incoming URI (QEMU: tcp:host:port); nil for drivers that need none.
    public var uri: String?
    /// Block devices the destination exports for the source to copy into (NBD), when disks are not shared.
    public var diskExport: String?
    /// The guest's volumes as the destination connected them (new attachments with its connector); the source
    /// records them once the guest arrived, or lets them go when it did not.
    public var blockDevices: [BlockDeviceMapping]?

    public init(uri: String? = nil, diskExport: String? = nil, blockDevices: [BlockDeviceMapping]? = nil) {
        self.uri = uri
        self.diskExport = diskExport
        self.blockDevices = blockDevices
    }
}

/// A live migration's progress, as the source hypervisor reports it.
public struct LiveMigrationProgress: Sendable, Codable, Equatable {
    public var memoryTotal: Int
    public var memoryProcessed: Int
    public var memoryRemaining: Int

    public init(memoryTotal: Int, memoryProcessed: Int, memoryRemaining: Int) {
        self.memoryTotal = memoryTotal
        self.memoryProcessed = memoryProcessed
        self.memoryRemaining = memoryRemaining
    }
}

/// pre_live_migration and friends: an instance with what the destination needs to know.
public struct LiveMigrationRequest: Sendable, Codable, Equatable {
    public var instance: Instance
    public var blockMigration: Bool
    public var sourceHost: String

    public init(instance: Instance, blockMigration: Bool, sourceHost: String) {
        self.instance = instance
        self.blockMigration = blockMigration
        self.sourceHost = sourceHost
    }
}

public struct TaskRequest: Sendable, Codable, Equatable {
    public var taskUUID: String
    public init(taskUUID: String) { self.taskUUID = taskUUID }
}

extension ConductorRPCAPI {
    /// The API started a move task: run its first step (a cast; a lost one is found by the sweep).
    public func startMove(_ taskUUID: String, context: RPCContext) async throws {
        try await client.cast(
            topic: Self.topic, method: "move_start", args: TaskRequest(taskUUID: taskUUID), context: context)
    }

    /// A compute host finished its part of a step: record it and send the task on.
    @discardableResult
    public func advanceMove(_ advance: MoveAdvance, context: RPCContext) async throws -> MoveState {
        try await client.call(topic: Self.topic, method: "move_advance", args: advance, context: context)
    }

    public func moveFailed(_ failure: MoveFailure, context: RPCContext) async throws {
        let _: RPCVoid = try await client.call(
            topic: Self.topic, method: "move_failed", args: failure, context: context)
    }

    /// The instance as the database has it (nil when unknown).
    public func instanceGet(_ uuid: String, context: RPCContext) async throws -> Instance? {
        try await client.call(
            topic: Self.topic, method: "instance_get", args: UUIDRequest(uuid: uuid), context: context,
            attempts: Self.resendAttempts)
    }

    /// Whether a move task owns the instance now (its state is then the task's to repair, not the host's).
    public func hasMoveTask(_ uuid: String, context: RPCContext) async throws -> Bool {
        try await client.call(
            topic: Self.topic, method: "instance_has_move", args: UUIDRequest(uuid: uuid), context: context)
    }

    /// A compute host started: send it again the steps it owes, at once rather than at their deadline.
    public func resumeHostMoves(_ host: String, context: RPCContext) async throws {
        try await client.cast(
            topic: Self.topic, method: "move_resume_host", args: HostRequest(host: host), context: context)
    }
}

extension ComputeRPCAPI {
    /// Casts the task's current step to the host that carries it out; the method is the step's name.
    public func runMoveStep(_ state: MoveState, host: String, context: RPCContext) async throws {
        guard let task = state.task else { return }
        try await client.cast(
            topic: Self.topic(host: host), method: task.step.rawValue, args: state, context: context)
    }

    /// pre_live_migration (a call to the destination): prepare to receive the guest.
    public func preLiveMigration(_ request: LiveMigrationRequest, host: String, context: RPCContext) async throws
        -> LiveMigrationTarget
    {
        try await client.call(
            topic: Self.topic(host: host), method: "pre_live_migration", args: request, context: context)
    }

    /// post_live_migration_at_destination (a call): the guest now runs here.
    public func postLiveMigrationAtDestination(_ request: LiveMigrationRequest, host: String, context: RPCContext)
        async throws
    {
        let _: RPCVoid = try await client.call(
            topic: Self.topic(host: host), method: "post_live_migration_at_destination", args: request,
            context: context)
    }

    /// rollback_live_migration_at_destination (a call): forget what pre_live_migration prepared.
    public func rollbackLiveMigrationAtDestination(
        _ request: LiveMigrationRequest, host: String, context: RPCContext
    ) async throws {
        let _: RPCVoid = try await client.call(
            topic: Self.topic(host: host), method: "rollback_live_migration_at_destination", args: request,
            context: context)
    }

    /// live_migration_abort / live_migration_force_complete (calls to the source).
    public func liveMigrationControl(_ method: String, _ instance: Instance, host: String, context: RPCContext)
        async throws
    {
        let _: RPCVoid = try await client.call(
            topic: Self.topic(host: host), method: method, args: InstanceRequest(instance: instance),
            context: context)
    }
}

extension ConductorRPCAPI {
    /// The compute interface over the same bus (a compute host calls its peers during a move).
    public var computeAPI: ComputeRPCAPI { ComputeRPCAPI(client: client) }
}
