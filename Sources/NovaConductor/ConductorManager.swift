import Foundation
import Logging
import NovaCore
import PlacementCore

/// The conductor: orchestrates builds and is the only database access compute hosts have
/// (nova/conductor/manager.py).
public struct ConductorManager: Sendable {
    let store: any ConductorStore
    let placement: any PlacementClient
    let scheduler: SchedulerRPCAPI
    let compute: ComputeRPCAPI
    let clock: any WallClock
    let logger: Logger
    let moves: MoveOptions

    public init(
        store: any ConductorStore, placement: any PlacementClient, scheduler: SchedulerRPCAPI, compute: ComputeRPCAPI,
        clock: any WallClock, logger: Logger, moves: MoveOptions = MoveOptions()
    ) {
        self.moves = moves
        self.store = store
        self.placement = placement
        self.scheduler = scheduler
        self.compute = compute
        self.clock = clock
        self.logger = logger
    }

    /// The RPC methods of the `conductor` topic.
    public func dispatcher() -> RPCDispatcher {
        var dispatcher = RPCDispatcher()
        dispatcher.on("build_instances") { (request: BuildInstancesRequest, context) in
            await buildInstances(request.spec, context: context)
            return RPCVoid()
        }
        dispatcher.on("instance_update") { (request: InstanceUpdateRequest, _) in
            try await store.updateInstance(uuid: request.uuid, request.update)
        }
        dispatcher.on("action_event") { (event: ActionEventReport, _) in
            try await store.recordActionEvent(event)
            return RPCVoid()
        }
        dispatcher.on("allocate_network") { (request: UUIDRequest, _) in
            try await store.allocateFixedAddress(uuid: request.uuid)
        }
        dispatcher.on("instance_destroy") { (request: UUIDRequest, context) in
            // A resize awaiting confirmation keeps a stopped guest on its source (Nova confirms on delete).
            let kept = try await store.migrations(instanceUUID: request.uuid).filter { $0.status == "finished" }
            for consumer in try await store.destroyInstance(uuid: request.uuid, at: clock.now) {
                try await placement.deleteAllocations(consumer: consumer)
            }
            if let instance = try await store.instance(uuid: request.uuid) {
                for migration in kept {
                    guard let source = migration.sourceCompute, source != migration.destCompute else { continue }
                    try? await compute.destroyLeftoverGuest(instance, host: source, context: context)
                }
            }
            return RPCVoid()
        }
        dispatcher.on("service_heartbeat") { (request: HeartbeatRequest, _) in
            try await store.heartbeat(
                host: request.host, binary: request.binary, topic: request.topic, zone: request.zone, at: clock.now)
            return RPCVoid()
        }
        dispatcher.on("compute_node_update") { (report: ComputeNodeReport, _) in
            try await store.updateComputeNode(report, at: clock.now)
        }
        dispatcher.on("reschedule_instance") { (request: RescheduleRequest, context) in
            await reschedule(request, context: context)
            return RPCVoid()
        }
        dispatcher.on("schedule_lost_build") { (request: RescheduleRequest, context) in
            await scheduleLostBuild(
                request.instance, reason: "compute host \(request.failedHost): \(request.reason)", context: context)
            return RPCVoid()
        }
        dispatcher.on("instances_on_host") { (request: HostRequest, _) in
            try await store.instances(onHost: request.host)
        }
        // The instance usage audit of a compute host: begin its task log (once per period) with the instances
        // to audit, then end it.
        dispatcher.on("begin_usage_audit") { (log: TaskLog, _) in
            guard try await store.beginTaskLog(log) else { return UsageAuditStart(started: false, instances: []) }
            let instances = try await store.instancesActive(
                onHost: log.host, from: log.periodBeginning, to: log.periodEnding)
            return UsageAuditStart(started: true, instances: instances)
        }
        dispatcher.on("end_task_log") { (log: TaskLog, _) in
            try await store.endTaskLog(log)
            return RPCVoid()
        }
        addMoveMethods(to: &dispatcher)
        addShelveMethods(to: &dispatcher)
        return dispatcher
    }

    static let scheduleEvent = "conductor_schedule_and_build_instances"

    /// schedule_and_build_instances: pick hosts, record them, hand each instance to its compute host.
    /// A refusal (no valid host) ends the build in ERROR with a fault. A message lost on the way (the
    /// scheduler's answer, the cast to the host) leaves it in scheduling, where the sweep finds it and
    /// schedules it again (`scheduleLostBuild`). Every change names the spec's build attempt, so an answer
    /// that arrives after the build was scheduled again changes nothing.
    public func buildInstances(_ spec: RequestSpec, context: RPCContext) async {
        let attempt = spec.buildAttempt ?? 0
        for uuid in spec.instanceUUIDs {
            await recordEvent(uuid, context, result: nil)
        }
        let selections: [Selection]
        do {
            selections = try await scheduler.selectDestinations(spec, context: context)
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.warning("scheduling failed: \(message)", metadata: ["nova.request.id": "\(context.requestID)"])
            if RPCClient.isLostMessage(error) { return }
            for uuid in spec.instanceUUIDs
            where await failBuild(uuid, attempt: attempt, message: message, context: context) {
                try? await placement.deleteAllocations(consumer: uuid)
            }
            return
        }
        for selection in selections {
            let instance: Instance
            do {
                var update = InstanceUpdate(
                    expectedTaskStates: [.scheduling], host: selection.host, node: selection.nodename)
                update.availabilityZone = selection.zone
                update.expectedBuildAttempt = attempt
                instance = try await store.updateInstance(uuid: selection.instanceUUID, update)
            } catch {
                // Deleted while it was being scheduled: give its claim back. Scheduled again meanwhile: the claim
                // is the newer attempt's business.
                let current = try? await store.instance(uuid: selection.instanceUUID)
                if current.map({ ($0.buildAttempt ?? 0) == attempt }) ?? true {
                    try? await placement.deleteAllocations(consumer: selection.instanceUUID)
                }
                await recordEvent(selection.instanceUUID, context, result: "Error")
                continue
            }
            await recordEvent(selection.instanceUUID, context, result: "Success")
            do {
                try await compute.buildAndRunInstance(
                    instance, host: selection.host, alternates: selection.alternates, context: context)
            } catch {
                logger.warning("could not send the build of \(selection.instanceUUID) to \(selection.host): \(error)")
                if RPCClient.isLostMessage(error) { continue }
                if await failBuild(
                    selection.instanceUUID, attempt: attempt,
                    message: "Compute host \(selection.host) is not reachable: \(error)", context: context)
                {
                    try? await placement.deleteAllocations(consumer: selection.instanceUUID)
                }
            }
        }
    }

    /// build_instances with host lists: a build failed on a host, so claim the next alternate and send the
    /// build there; with none left, ERROR with a fault that names the last failure (MaxRetriesExceeded).
    public func reschedule(_ request: RescheduleRequest, context: RPCContext) async {
        let uuid = request.instance.uuid
        let attempt = request.instance.buildAttempt ?? 0
        var remaining = request.alternates
        while !remaining.isEmpty {
            let choice = remaining.removeFirst()
            let write = AllocationWrite(
                consumerUUID: uuid, allocations: choice.allocations, projectID: request.instance.projectID,
                userID: request.instance.userID, consumerGeneration: nil, consumerType: "INSTANCE")
            guard (try? await placement.claim([write])) == true else { continue }
            do {
                var update = InstanceUpdate(
                    expectedTaskStates: [.scheduling], host: choice.host, node: choice.nodename)
                update.availabilityZone = choice.zone
                update.expectedBuildAttempt = attempt
                let instance = try await store.updateInstance(uuid: uuid, update)
                logger.info("rescheduling \(uuid) from \(request.failedHost) to \(choice.host): \(request.reason)")
                try await compute.buildAndRunInstance(
                    instance, host: choice.host, alternates: remaining, context: context)
                return
            } catch {
                try? await placement.deleteAllocations(consumer: uuid)
                if (try? await store.instance(uuid: uuid))?.taskState != .scheduling { return }
            }
        }
        await failBuild(
            uuid, attempt: attempt,
            message:
                "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance \(uuid). Last failure on \(request.failedHost): \(request.reason)",
            context: context)
    }

    /// Ends attempt `attempt` of a build still in scheduling in ERROR with a fault; false when it had moved on
    /// meanwhile (deleted, on its way, or scheduled again).
    @discardableResult
    func failBuild(
        _ uuid: String, attempt: Int, from taskStates: [TaskState?] = [.scheduling], message: String,
        context: RPCContext
    ) async -> Bool {
        let fault = InstanceFault(code: 500, message: message, created: clock.now)
        var update = InstanceUpdate(
            expectedTaskStates: taskStates, vmState: .error, taskState: .some(nil), fault: fault)
        update.expectedBuildAttempt = attempt
        guard (try? await store.updateInstance(uuid: uuid, update)) != nil else { return false }
        await recordEvent(uuid, context, result: "Error", traceback: message)
        return true
    }

    func recordEvent(_ uuid: String, _ context: RPCContext, result: String?, traceback: String? = nil) async {
        await recordEvent(uuid, Self.scheduleEvent, context, result: result, traceback: traceback)
    }
}
