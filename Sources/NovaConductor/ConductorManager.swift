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
        dispatcher.on("instances_on_host") { (request: HostRequest, _) in
            try await store.instances(onHost: request.host)
        }
        addMoveMethods(to: &dispatcher)
        addShelveMethods(to: &dispatcher)
        return dispatcher
    }

    static let scheduleEvent = "conductor_schedule_and_build_instances"

    /// schedule_and_build_instances: pick hosts, record them, hand each instance to its compute host.
    /// Every failure ends with the instance in ERROR with a fault, never stuck in BUILD.
    public func buildInstances(_ spec: RequestSpec, context: RPCContext) async {
        for uuid in spec.instanceUUIDs {
            await recordEvent(uuid, context, result: nil)
        }
        let selections: [Selection]
        do {
            selections = try await scheduler.selectDestinations(spec, context: context)
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.warning("scheduling failed: \(message)", metadata: ["nova.request.id": "\(context.requestID)"])
            for uuid in spec.instanceUUIDs where await failBuild(uuid, message: message, context: context) {
                // A scheduler whose answer was lost (bus down, timeout) may have claimed resources.
                try? await placement.deleteAllocations(consumer: uuid)
            }
            return
        }
        for selection in selections {
            let instance: Instance
            do {
                instance = try await store.updateInstance(
                    uuid: selection.instanceUUID,
                    InstanceUpdate(
                        expectedTaskStates: [.scheduling], host: selection.host, node: selection.nodename))
            } catch {
                // Deleted while it was being scheduled: give its claim back.
                try? await placement.deleteAllocations(consumer: selection.instanceUUID)
                await recordEvent(selection.instanceUUID, context, result: "Error")
                continue
            }
            await recordEvent(selection.instanceUUID, context, result: "Success")
            do {
                try await compute.buildAndRunInstance(
                    instance, host: selection.host, alternates: selection.alternates, context: context)
            } catch {
                try? await placement.deleteAllocations(consumer: selection.instanceUUID)
                await failBuild(
                    selection.instanceUUID, message: "Compute host \(selection.host) is not reachable: \(error)",
                    context: context)
            }
        }
    }

    /// build_instances with host lists: a build failed on a host, so claim the next alternate and send the
    /// build there; with none left, ERROR with a fault that names the last failure (MaxRetriesExceeded).
    public func reschedule(_ request: RescheduleRequest, context: RPCContext) async {
        let uuid = request.instance.uuid
        var remaining = request.alternates
        while !remaining.isEmpty {
            let choice = remaining.removeFirst()
            let write = AllocationWrite(
                consumerUUID: uuid, allocations: choice.allocations, projectID: request.instance.projectID,
                userID: request.instance.userID, consumerGeneration: nil, consumerType: "INSTANCE")
            guard (try? await placement.claim([write])) == true else { continue }
            do {
                let instance = try await store.updateInstance(
                    uuid: uuid,
                    InstanceUpdate(expectedTaskStates: [.scheduling], host: choice.host, node: choice.nodename))
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
            uuid,
            message:
                "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance \(uuid). Last failure on \(request.failedHost): \(request.reason)",
            context: context)
    }

    /// At start (`untouchedSince` nil): a build that was stored but never reached a host was interrupted by a
    /// stop of the cloud. Later: a build still in scheduling, with or without a chosen host, untouched since
    /// `untouchedSince` was lost with a conductor or a message (several conductors share the builds, and the
    /// bus delivers at most once). Nothing else will finish either, so it ends in ERROR with a fault, and its
    /// claim is given back, rather than staying in BUILD.
    public func recoverInterruptedBuilds(untouchedSince: Date? = nil) async throws {
        let candidates =
            if let untouchedSince {
                try await store.instances(in: [.building], updatedBefore: untouchedSince)
            } else {
                try await store.unscheduledBuilds()
            }
        for instance in candidates where instance.taskState == .scheduling {
            let message =
                if let host = instance.host {
                    "The build was lost on its way to compute host \(host) (no answer within \(Int(moves.schedulingTimeout)) s); delete and create the server again."
                } else if untouchedSince != nil {
                    "The build was lost before a host was chosen (no answer within \(Int(moves.schedulingTimeout)) s); delete and create the server again."
                } else {
                    "The build was interrupted by a restart before a host was chosen; delete and create the server again."
                }
            logger.warning("build of \(instance.uuid) was interrupted in scheduling; marking it ERROR")
            if await failBuild(instance.uuid, message: message, context: .service("nova-conductor")) {
                // The scheduler may have claimed resources before the interruption.
                try? await placement.deleteAllocations(consumer: instance.uuid)
            }
        }
    }

    /// The periodic form: builds left in scheduling for longer than `[conductor] scheduling_timeout`.
    public func recoverStalledBuilds() async {
        try? await recoverInterruptedBuilds(untouchedSince: clock.now.addingTimeInterval(-moves.schedulingTimeout))
    }

    /// Ends a build still in scheduling in ERROR with a fault; false when it had moved on meanwhile.
    @discardableResult
    func failBuild(_ uuid: String, message: String, context: RPCContext) async -> Bool {
        let fault = InstanceFault(code: 500, message: message, created: clock.now)
        guard
            (try? await store.updateInstance(
                uuid: uuid,
                InstanceUpdate(
                    expectedTaskStates: [.scheduling], vmState: .error, taskState: .some(nil), fault: fault))) != nil
        else { return false }
        await recordEvent(uuid, context, result: "Error", traceback: message)
        return true
    }

    func recordEvent(_ uuid: String, _ context: RPCContext, result: String?, traceback: String? = nil) async {
        await recordEvent(uuid, Self.scheduleEvent, context, result: result, traceback: traceback)
    }
}
