import Foundation

/// The conductor's RPC interface (nova/conductor/rpcapi.py), topic `conductor`.
public struct ConductorRPCAPI: Sendable {
    public static let topic = "conductor"
    let client: RPCClient

    public init(client: RPCClient) { self.client = client }

    public func buildInstances(_ spec: RequestSpec, context: RPCContext) async throws {
        try await client.cast(
            topic: Self.topic, method: "build_instances", args: BuildInstancesRequest(spec: spec), context: context)
    }

    /// How many times a request whose repeat does no harm is sent when the bus loses it.
    static let resendAttempts = 4

    /// Sent again when lost: the update carries an ID, so a repeat of one that was applied changes nothing.
    public func instanceUpdate(_ uuid: String, _ update: InstanceUpdate, context: RPCContext) async throws -> Instance {
        var update = update
        if update.updateID == nil { update.updateID = UUID().uuidString }
        return try await client.call(
            topic: Self.topic, method: "instance_update", args: InstanceUpdateRequest(uuid: uuid, update: update),
            context: context, attempts: Self.resendAttempts)
    }

    /// Sent again when lost: a report is recorded once.
    public func actionEvent(_ event: ActionEventReport, context: RPCContext) async throws {
        let _: RPCVoid = try await client.call(
            topic: Self.topic, method: "action_event", args: event, context: context, attempts: Self.resendAttempts)
    }

    /// Sent again when lost: an instance that has its address keeps it.
    @discardableResult
    public func allocateNetwork(_ uuid: String, context: RPCContext) async throws -> Instance {
        try await client.call(
            topic: Self.topic, method: "allocate_network", args: UUIDRequest(uuid: uuid), context: context,
            attempts: Self.resendAttempts)
    }

    public func instanceDestroy(_ uuid: String, context: RPCContext) async throws {
        let _: RPCVoid = try await client.call(
            topic: Self.topic, method: "instance_destroy", args: UUIDRequest(uuid: uuid), context: context)
    }

    public func serviceHeartbeat(_ request: HeartbeatRequest, context: RPCContext) async throws {
        let _: RPCVoid = try await client.call(
            topic: Self.topic, method: "service_heartbeat", args: request, context: context)
    }

    public func computeNodeUpdate(_ report: ComputeNodeReport, context: RPCContext) async throws
        -> ComputeNodeRegistration
    {
        try await client.call(
            topic: Self.topic, method: "compute_node_update", args: report, context: context)
    }

    /// A build failed on a host: try the next alternate, or end in ERROR.
    public func rescheduleInstance(_ request: RescheduleRequest, context: RPCContext) async throws {
        try await client.cast(topic: Self.topic, method: "reschedule_instance", args: request, context: context)
    }

    /// A build this host gave up half way (its messages lost): schedule it again from the start.
    public func scheduleLostBuild(_ request: RescheduleRequest, context: RPCContext) async throws {
        try await client.cast(topic: Self.topic, method: "schedule_lost_build", args: request, context: context)
    }

    /// Begins a host's usage audit of a period: the instances to audit, or `started` false when done already.
    public func beginUsageAudit(_ log: TaskLog, context: RPCContext) async throws -> UsageAuditStart {
        try await client.call(
            topic: Self.topic, method: "begin_usage_audit", args: log, context: context,
            attempts: Self.resendAttempts)
    }

    public func endTaskLog(_ log: TaskLog, context: RPCContext) async throws {
        let _: RPCVoid = try await client.call(
            topic: Self.topic, method: "end_task_log", args: log, context: context, attempts: Self.resendAttempts)
    }

    public func instancesOnHost(_ host: String, context: RPCContext) async throws -> [Instance] {
        try await client.call(
            topic: Self.topic, method: "instances_on_host", args: HostRequest(host: host), context: context,
            attempts: Self.resendAttempts)
    }
}

/// The scheduler's RPC interface, topic `scheduler`.
public struct SchedulerRPCAPI: Sendable {
    public static let topic = "scheduler"
    let client: RPCClient

    public init(client: RPCClient) { self.client = client }

    public func selectDestinations(_ spec: RequestSpec, context: RPCContext) async throws -> [Selection] {
        try await client.call(topic: Self.topic, method: "select_destinations", args: spec, context: context)
    }

    /// What scheduling the spec would do, claiming nothing.
    public func explain(_ spec: RequestSpec, context: RPCContext) async throws -> SchedulingExplanation {
        try await client.call(topic: Self.topic, method: "explain", args: spec, context: context)
    }
}

/// A compute host's RPC interface, topic `compute.<host>`.
public struct ComputeRPCAPI: Sendable {
    let client: RPCClient

    public init(client: RPCClient) { self.client = client }

    public static func topic(host: String) -> String { "compute.\(host)" }

    public func buildAndRunInstance(
        _ instance: Instance, host: String, alternates: [HostChoice] = [], context: RPCContext
    ) async throws {
        try await client.cast(
            topic: Self.topic(host: host), method: "build_and_run_instance",
            args: InstanceRequest(instance: instance, alternates: alternates), context: context)
    }

    /// Casts start/stop/reboot/pause/unpause/suspend/resume/delete to the instance's host.
    public func perform(_ operation: InstanceOperation, on instance: Instance, host: String, context: RPCContext)
        async throws
    {
        try await client.cast(
            topic: Self.topic(host: host), method: operation.computeMethod,
            args: InstanceRequest(instance: instance, operation: operation), context: context)
    }

    /// get_console_output (a call): the guest's serial console, its last `length` lines.
    public func consoleOutput(_ instance: Instance, length: Int?, host: String, context: RPCContext) async throws
        -> String
    {
        let reply: ConsoleOutputReply = try await client.call(
            topic: Self.topic(host: host), method: "get_console_output",
            args: ConsoleOutputRequest(instance: instance, length: length), context: context)
        return reply.output
    }

    /// get_instance_diagnostics (a call): what the host's hypervisor says of the guest.
    public func diagnostics(_ instance: Instance, host: String, context: RPCContext) async throws -> GuestDiagnostics {
        try await client.call(
            topic: Self.topic(host: host), method: "get_instance_diagnostics",
            args: InstanceRequest(instance: instance),
            context: context)
    }

    /// get_vnc_console (a call): where the guest's VNC server listens.
    public func vncConsole(_ instance: Instance, host: String, context: RPCContext) async throws -> ConsoleEndpoint {
        try await console("get_vnc_console", instance, host: host, context: context)
    }

    /// get_spice_console (a call): where the guest's SPICE server listens.
    public func spiceConsole(_ instance: Instance, host: String, context: RPCContext) async throws -> ConsoleEndpoint {
        try await console("get_spice_console", instance, host: host, context: context)
    }

    func console(_ method: String, _ instance: Instance, host: String, context: RPCContext) async throws
        -> ConsoleEndpoint
    {
        try await client.call(
            topic: Self.topic(host: host), method: method, args: InstanceRequest(instance: instance), context: context)
    }

    /// set_admin_password (a call): the instance is in task_state updating_password; the host sets the guest's
    /// password and clears the task, or throws why it could not.
    public func setAdminPassword(_ instance: Instance, password: String, host: String, context: RPCContext)
        async throws
    {
        let _: RPCVoid = try await client.call(
            topic: Self.topic(host: host), method: "set_admin_password",
            args: AdminPasswordRequest(instance: instance, password: password), context: context)
    }

    /// get_serial_console (a call): where the guest's serial port takes a TCP client.
    public func serialConsole(_ instance: Instance, host: String, context: RPCContext) async throws
        -> ConsoleEndpoint
    {
        try await console("get_serial_console", instance, host: host, context: context)
    }

    /// validate_console_port (a call): the proxy's check that a token's port is still the guest's.
    public func validateConsolePort(
        _ instance: Instance, port: Int, consoleType: String? = nil, host: String, context: RPCContext
    ) async throws -> Bool {
        try await client.call(
            topic: Self.topic(host: host), method: "validate_console_port",
            args: ConsolePortRequest(instance: instance, port: port, consoleType: consoleType), context: context)
    }

    /// cache_images (a cast): the host fetches the images into its image cache (os-aggregates images, 2.81).
    public func cacheImages(_ imageIDs: [String], host: String, context: RPCContext) async throws {
        try await client.cast(
            topic: Self.topic(host: host), method: "cache_images", args: CacheImagesRequest(imageIDs: imageIDs),
            context: context)
    }

    /// trigger_crash_dump (a cast): the host sends the guest an NMI.
    public func triggerCrashDump(_ instance: Instance, host: String, context: RPCContext) async throws {
        try await client.cast(
            topic: Self.topic(host: host), method: "trigger_crash_dump", args: InstanceRequest(instance: instance),
            context: context)
    }

    /// destroy_leftover_guest (a cast): a deleted instance's guest that stayed on this host (the source of a
    /// resize that was never confirmed).
    public func destroyLeftoverGuest(_ instance: Instance, host: String, context: RPCContext) async throws {
        try await client.cast(
            topic: Self.topic(host: host), method: "destroy_leftover_guest", args: InstanceRequest(instance: instance),
            context: context)
    }

    /// snapshot_instance (a cast): the instance is in task_state image_snapshot.
    public func snapshotInstance(_ instance: Instance, imageID: String, host: String, context: RPCContext)
        async throws
    {
        try await client.cast(
            topic: Self.topic(host: host), method: "snapshot_instance",
            args: SnapshotRequest(instance: instance, imageID: imageID), context: context)
    }

    /// backup_instance (a cast): the instance is in task_state image_backup.
    public func backupInstance(
        _ instance: Instance, imageID: String, backupType: String, rotation: Int, host: String, context: RPCContext
    ) async throws {
        try await client.cast(
            topic: Self.topic(host: host), method: "backup_instance",
            args: SnapshotRequest(
                instance: instance, imageID: imageID,
                backup: BackupRotation(backupType: backupType, rotation: rotation)),
            context: context)
    }
}
