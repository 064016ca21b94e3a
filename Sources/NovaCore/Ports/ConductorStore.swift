import Foundation

/// What the conductor reads and writes. Compute hosts reach it only through conductor RPC.
public protocol ConductorStore: Sendable {
    func instance(uuid: String) async throws -> Instance?
    /// Compare-and-set on task_state: applies `update` only while the instance's task_state is one of
    /// `expectedTaskStates` (nil: any). Returns the new instance, or throws 409 when the state moved on.
    func updateInstance(uuid: String, _ update: InstanceUpdate) async throws -> Instance
    func instances(onHost host: String) async throws -> [Instance]
    /// Marks the instance deleted, releases its resources on its host and ends its moves; returns the
    /// Placement consumers to release (the instance and its unfinished migrations).
    @discardableResult
    func destroyInstance(uuid: String, at date: Date) async throws -> [String]
    func recordActionEvent(_ event: ActionEventReport) async throws
    func heartbeat(host: String, binary: String, topic: String, zone: String, at date: Date) async throws
    /// Stores the node's report; returns its uuid (its resource provider's) and whether its service is disabled.
    func updateComputeNode(_ report: ComputeNodeReport, at date: Date) async throws -> ComputeNodeRegistration
    /// Gives the instance a free address on the private network (kept if it has one); returns the instance.
    func allocateFixedAddress(uuid: String) async throws -> Instance

    // MARK: Move tasks
    /// The task with its instance and migration; nil when it no longer exists.
    func moveState(taskUUID: String) async throws -> MoveState?
    /// Applies a step's outcome in one transaction (compare-and-set on the task's step); the task gets
    /// `deadline` for its next step, or is deleted when `advance.nextStep` is nil.
    func advanceMove(_ advance: MoveAdvance, deadline: Date, at date: Date) async throws -> MoveState
    /// Counts another attempt of the task's current step and gives it a new deadline.
    func retryMove(taskUUID: String, step: MoveStep, deadline: Date) async throws -> MoveState
    /// Unfinished tasks, those whose deadline is before `dueBefore` when given.
    func moveTasks(dueBefore: Date?) async throws -> [MoveTask]
    /// Starts a move task in one transaction with the instance's state change (`check`), its migration and its
    /// instance action; 409 when the instance already has a task.
    func startMove(
        instanceUUID: String, task: MoveTask, action: InstanceActionRecord?,
        migration: @Sendable @escaping (Instance) throws -> Migration,
        check: @Sendable @escaping (inout Instance) throws -> Void
    ) async throws -> MoveState
    /// Live instances in a task_state last changed before `date` (operations that may have stalled).
    func instancesInTask(updatedBefore date: Date) async throws -> [Instance]
    /// Instances in one of `vmStates` last changed before `date` (due to be reclaimed, offloaded, recovered).
    func instances(in vmStates: [VMState], updatedBefore date: Date) async throws -> [Instance]
    /// The unfinished move task of an instance, if any.
    func moveTask(instanceUUID: String) async throws -> MoveTask?
    /// An instance's migrations, newest first.
    func migrations(instanceUUID: String) async throws -> [Migration]
    /// Every nova-compute service (for finding hosts that are down).
    func computeServices() async throws -> [ServiceRecord]
    /// Migrations in `status` last changed before `date` (resizes awaiting confirmation).
    func migrations(status: String, updatedBefore date: Date) async throws -> [Migration]

    // MARK: Usage audit
    /// Records a task log as begun; false when the host has already finished the task for the period.
    func beginTaskLog(_ log: TaskLog) async throws -> Bool
    func endTaskLog(_ log: TaskLog) async throws
    /// Instances that ran on `host` at some time in [begin, end), deleted ones included.
    func instancesActive(onHost host: String, from begin: Date, to end: Date) async throws -> [Instance]
}

/// What the scheduler reads besides Placement: the compute nodes with their services, and aggregates.
public protocol SchedulerStore: Sendable {
    /// Every compute node with its service's state; capacity and usage come from Placement.
    func hostStates(now: Date) async throws -> [HostState]
    /// The same, by compute node uuid.
    func hostIndex(now: Date) async throws -> [String: HostState]
    /// Changes whenever what `hostStates` returns changes other than by time (a cache's cue to read again).
    func hostStateVersion() async throws -> Int
    func aggregates() async throws -> [Aggregate]
    func serverGroup(uuid: String) async throws -> ServerGroup?
    /// Where instances run: uuid -> host, for those placed and not deleted.
    func instanceHosts(_ uuids: [String]) async throws -> [String: String]
}

extension SchedulerStore {
    public func hostStateVersion() async throws -> Int { 0 }

    public func hostIndex(now: Date) async throws -> [String: HostState] {
        Dictionary(try await hostStates(now: now).map { ($0.nodeUUID, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// The answer to a compute node's report.
public struct ComputeNodeRegistration: Sendable, Codable, Equatable {
    public var nodeUUID: String
    public var serviceDisabled: Bool

    public init(nodeUUID: String, serviceDisabled: Bool) {
        self.nodeUUID = nodeUUID
        self.serviceDisabled = serviceDisabled
    }
}

/// A field-by-field change to an instance, sent from compute through the conductor.
public struct InstanceUpdate: Sendable, Codable, Equatable {
    public var expectedTaskStates: [TaskState?]?
    public var vmState: VMState?
    public var setTaskState: Bool
    public var taskState: TaskState?
    public var powerState: PowerState?
    public var host: String?
    public var node: String?
    /// The zone of the host the instance now has.
    public var availabilityZone: String?
    public var launchedAt: Date?
    public var terminatedAt: Date?
    public var progress: Int?
    public var fault: InstanceFault?
    /// A move's new (or, on revert, old) flavor.
    public var flavor: Flavor?
    /// Shelve offload: the instance leaves its host (host and node become nil).
    public var clearHost: Bool?
    /// Unshelve: the shelved snapshot is no longer the instance's.
    public var clearShelved: Bool?
    /// The conductor sent the operation again.
    public var taskAttempts: Int?
    /// Names this change, so that sending it again after a lost answer does not apply it twice (nil: always
    /// applied). `ConductorRPCAPI.instanceUpdate` gives every update one.
    public var updateID: String?
    /// The build attempt this change belongs to: refused (409) when the instance's build is on another one.
    public var expectedBuildAttempt: Int?
    /// A lost build scheduled again: its new attempt.
    public var buildAttempt: Int?
    /// The server's addresses as its ports now have them (Nova's network info cache).
    public var addresses: [FixedAddress]?
    /// The guest's NICs as its ports are now bound.
    public var vifs: [GuestVIF]?
    /// A volume's block device mapping, added or (same volume) replaced.
    public var blockDevice: BlockDeviceMapping?
    /// A volume no longer attached: its mapping goes.
    public var removeBlockDevice: String?

    public init(
        expectedTaskStates: [TaskState?]? = nil, vmState: VMState? = nil, taskState: TaskState?? = .none,
        powerState: PowerState? = nil, host: String? = nil, node: String? = nil, launchedAt: Date? = nil,
        terminatedAt: Date? = nil, progress: Int? = nil, fault: InstanceFault? = nil, flavor: Flavor? = nil
    ) {
        self.flavor = flavor
        self.expectedTaskStates = expectedTaskStates
        self.vmState = vmState
        switch taskState {
        case .none:
            self.setTaskState = false
            self.taskState = nil
        case .some(let value):
            self.setTaskState = true
            self.taskState = value
        }
        self.powerState = powerState
        self.host = host
        self.node = node
        self.launchedAt = launchedAt
        self.terminatedAt = terminatedAt
        self.progress = progress
        self.fault = fault
    }

    static let conflictPrefix = "Conflict updating instance "

    /// Whether `error` is `apply`'s refusal of a change meant for another task state or build attempt: something
    /// else (a second delivery of the operation, a rollback at its deadline) moved the instance on meanwhile.
    /// Nova's UnexpectedTaskStateError: the operation was preempted, and what it would undo is not its own.
    public static func isPreempted(_ error: any Error) -> Bool {
        guard let error = error as? NovaError else { return false }
        return error.code == .conflict && error.message.hasPrefix(conflictPrefix)
    }

    /// Applies the change to `instance`; throws 409 when the task_state guard fails. The update the instance
    /// had last, sent again, leaves it as it is.
    public func apply(to instance: inout Instance, at date: Date) throws(NovaError) {
        if let updateID, updateID == instance.lastUpdateID { return }
        if let expected = expectedTaskStates, !expected.contains(instance.taskState) {
            throw .conflict(
                Self.conflictPrefix
                    + "\(instance.uuid). Expected: {'task_state': \(expected.map { $0?.rawValue ?? "None" })}. "
                    + "Actual: {'task_state': '\(instance.taskState?.rawValue ?? "None")'}")
        }
        if let expectedBuildAttempt, expectedBuildAttempt != instance.buildAttempt ?? 0 {
            throw .conflict(
                Self.conflictPrefix + "\(instance.uuid): the change is for build attempt \(expectedBuildAttempt), "
                    + "the build is on attempt \(instance.buildAttempt ?? 0)")
        }
        if let vmState { instance.vmState = vmState }
        if setTaskState { instance.taskState = taskState }
        if let powerState { instance.powerState = powerState }
        if let host { instance.host = host }
        if let node { instance.node = node }
        if let availabilityZone { instance.availabilityZone = availabilityZone }
        if let launchedAt { instance.launchedAt = launchedAt }
        if let terminatedAt { instance.terminatedAt = terminatedAt }
        if let progress { instance.progress = progress }
        if let fault { instance.fault = fault }
        if let flavor { instance.flavor = flavor }
        if clearHost == true {
            instance.host = nil
            instance.node = nil
        }
        if let taskAttempts { instance.taskAttempts = taskAttempts }
        if let buildAttempt { instance.buildAttempt = buildAttempt }
        if let addresses { instance.addresses = addresses }
        if let vifs { instance.vifs = vifs }
        if let blockDevice {
            var devices = (instance.blockDevices ?? []).filter { $0.uuid != blockDevice.uuid }
            devices.append(blockDevice)
            instance.blockDevices = devices
        }
        if let removeBlockDevice {
            instance.blockDevices = (instance.blockDevices ?? []).filter { $0.volumeID != removeBlockDevice }
        }
        if clearShelved == true {
            instance.shelvedImageID = nil
            instance.shelvedAt = nil
        }
        instance.lastUpdateID = updateID
        instance.updatedAt = date
    }
}

/// The start or finish of one step of an instance action, as compute reports it.
public struct ActionEventReport: Sendable, Codable, Equatable {
    public var instanceUUID: String
    public var requestID: String
    public var event: String
    public var host: String
    public var time: Date
    /// nil when the step starts; "Success" or "Error" when it ends.
    public var result: String?
    public var traceback: String?

    public init(
        instanceUUID: String, requestID: String, event: String, host: String, time: Date, result: String? = nil,
        traceback: String? = nil
    ) {
        self.instanceUUID = instanceUUID
        self.requestID = requestID
        self.event = event
        self.host = host
        self.time = time
        self.result = result
        self.traceback = traceback
    }
}
