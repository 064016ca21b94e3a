import Foundation
import Logging
import NovaCore
import NovaVirt
import PlacementCore

/// One compute host: runs its instances through a virt driver and reports through the conductor
/// (nova/compute/manager.py). It never opens the database.
public struct ComputeManager: Sendable {
    public let config: ComputeConfig
    let driver: any VirtDriver
    let conductor: ConductorRPCAPI
    let placement: any PlacementClient
    /// The image service, for deleting a shelved server's snapshot and rotating backups.
    let images: (any ImageBackend)?
    /// The networking service, for the ports of the servers this host builds and deletes (nil: servers get
    /// no ports).
    let network: (any NetworkClient)?
    /// The block-storage service, for the volumes of this host's servers (nil: no volumes).
    let volumes: (any VolumeClient)?
    /// Versioned notifications, when `[oslo_messaging_notifications] driver` asks for them.
    let notifier: Notifier?
    let clock: any WallClock
    let logger: Logger
    /// The builds running in this process now (`recoverLostBuilds` leaves them alone).
    let buildsInFlight = BuildsInFlight()
    /// The server events builds and interface attachments wait for.
    let instanceEvents = InstanceEventWaiters()
    /// One network info cache update at a time on this host (events and attachments race otherwise).
    let networkInfoLock = AsyncLock()

    public init(
        config: ComputeConfig, driver: any VirtDriver, conductor: ConductorRPCAPI, placement: any PlacementClient,
        images: (any ImageBackend)? = nil, network: (any NetworkClient)? = nil,
        volumes: (any VolumeClient)? = nil, notifier: Notifier? = nil, clock: any WallClock, logger: Logger
    ) {
        self.volumes = volumes
        self.network = network
        self.notifier = notifier
        self.placement = placement
        self.images = images
        self.config = config
        self.driver = driver
        self.conductor = conductor
        self.clock = clock
        self.logger = logger
    }

    public var topic: String { ComputeRPCAPI.topic(host: config.host) }

    /// Peer compute hosts, over the conductor's bus.
    var compute: ComputeRPCAPI { conductor.computeAPI }

    var serviceContext: RPCContext { .service("nova-compute@\(config.host)") }

    /// The RPC methods of the `compute.<host>` topic.
    public func dispatcher() -> RPCDispatcher {
        var dispatcher = RPCDispatcher()
        dispatcher.on("build_and_run_instance") { (request: InstanceRequest, context) in
            await buildAndRunInstance(request.instance, alternates: request.alternates, context: context)
            return RPCVoid()
        }
        // The request names its operation: soft and hard reboot share one method, as in Nova.
        for method in Set(InstanceOperation.allCases.map(\.computeMethod)) where !method.isEmpty {
            dispatcher.on(method) { (request: InstanceRequest, context) in
                guard let operation = request.operation, operation.computeMethod == method else {
                    throw NovaError.badRequest("\(method) needs an operation of its own")
                }
                await perform(operation, on: request.instance, context: context)
                return RPCVoid()
            }
        }
        dispatcher.on("destroy_leftover_guest") { (request: InstanceRequest, _) in
            guard let current = try await conductor.instanceGet(request.instance.uuid, context: serviceContext),
                current.isDeleted || current.host != config.host
            else { return RPCVoid() }
            logger.info("destroying the guest \(request.instance.uuid) left on this host")
            try await driver.destroy(request.instance)
            return RPCVoid()
        }
        addConsoleMethods(to: &dispatcher)
        addNetworkMethods(to: &dispatcher)
        addVolumeMethods(to: &dispatcher)
        addMoveMethods(to: &dispatcher)
        for method in ["snapshot_instance", "backup_instance"] {
            dispatcher.on(method) { (request: SnapshotRequest, context) in
                await snapshot(request.instance, imageID: request.imageID, backup: request.backup, context: context)
                return RPCVoid()
            }
        }
        return dispatcher
    }

    /// Reports the node's inventory and heartbeats once, so the host is schedulable as soon as it starts.
    public func register() async throws {
        try await driver.initHost(host: config.host)
        try await heartbeat()
        try await updateAvailableResource()
    }

    func heartbeat() async throws {
        try await conductor.serviceHeartbeat(
            HeartbeatRequest(
                host: config.host, binary: "nova-compute", topic: "compute", zone: config.availabilityZone),
            context: serviceContext)
    }

    /// update_available_resource: the driver's view of the host, stored through the conductor and reported to
    /// Placement as the node's provider (VCPU, MEMORY_MB, DISK_GB with this host's ratios and reservations,
    /// the driver's COMPUTE_* traits, COMPUTE_STATUS_DISABLED while the service is disabled).
    func updateAvailableResource() async throws {
        let resources = await driver.availableResource()
        let running = await driver.listInstanceUUIDs().count
        let report = ComputeNodeReport(
            host: config.host, hypervisorHostname: resources.hypervisorHostname,
            hypervisorType: resources.hypervisorType, hypervisorVersion: resources.hypervisorVersion,
            hostIP: resources.hostIP, total: resources.total, cpuAllocationRatio: config.cpuAllocationRatio,
            ramAllocationRatio: config.ramAllocationRatio, diskAllocationRatio: config.diskAllocationRatio,
            reservedHostMemoryMB: config.reservedHostMemoryMB, reservedHostDiskGB: config.reservedHostDiskGB,
            runningVMs: running)
        let registration = try await conductor.computeNodeUpdate(report, context: serviceContext)
        var traits = driver.capabilities.traits
        if registration.serviceDisabled { traits.insert(StandardTraits.computeStatusDisabled) }
        try await placement.reportProvider(
            ProviderReport(
                uuid: registration.nodeUUID, name: resources.hypervisorHostname,
                inventories: Self.inventories(report), traits: traits))
    }

    static func inventories(_ report: ComputeNodeReport) -> [String: Inventory] {
        var inventories: [String: Inventory] = [:]
        let total = report.total
        if total.vcpus > 0 {
            inventories["VCPU"] = Inventory(
                total: total.vcpus, maxUnit: total.vcpus, allocationRatio: report.cpuAllocationRatio)
        }
        if total.memoryMB > 0 {
            inventories["MEMORY_MB"] = Inventory(
                total: total.memoryMB, reserved: min(report.reservedHostMemoryMB, total.memoryMB),
                maxUnit: total.memoryMB, allocationRatio: report.ramAllocationRatio)
        }
        if total.diskGB > 0 {
            inventories["DISK_GB"] = Inventory(
                total: total.diskGB, reserved: min(report.reservedHostDiskGB, total.diskGB), maxUnit: total.diskGB,
                allocationRatio: report.diskAllocationRatio)
        }
        return inventories
    }

    /// Runs the periodic tasks until cancelled: heartbeat, resource report, power-state sync.
    public func runPeriodicTasks() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await every(config.reportInterval, "heartbeat") { try await heartbeat() } }
            group.addTask {
                await every(config.resourceUpdateInterval, "update_available_resource") {
                    try await updateAvailableResource()
                }
            }
            group.addTask {
                await every(config.syncPowerStateInterval, "sync_power_states") { try await syncPowerStates() }
            }
            group.addTask { await handleLifecycleEvents() }
            group.addTask {
                await every(config.lostBuildPollInterval, "recover_lost_builds") { try await recoverLostBuilds() }
            }
            group.addTask {
                await every(config.shelvedPollInterval, "poll_shelved_instances") {
                    try await offloadShelvedInstances()
                }
            }
            if config.instanceUsageAudit {
                group.addTask {
                    await every(config.usageAuditPollInterval, "instance_usage_audit") {
                        try await auditInstanceUsage()
                    }
                }
            }
        }
    }

    func every(_ interval: Duration, _ name: String, _ body: @Sendable () async throws -> Void) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                try await body()
            } catch {
                logger.warning("periodic task \(name) failed: \(error)", metadata: ["nova.host": "\(config.host)"])
            }
        }
    }

    // MARK: - Reporting helpers

    /// Records an action event and, with notifications on, publishes it; `reached` is the instance as the
    /// operation left it (otherwise it is read again).
    func event(
        _ instance: Instance, _ name: String, _ context: RPCContext, result: String? = nil, traceback: String? = nil,
        reached: Instance? = nil
    )
        async
    {
        let report = ActionEventReport(
            instanceUUID: instance.uuid, requestID: context.requestID, event: name, host: config.host,
            time: clock.now, result: result, traceback: traceback)
        do {
            try await conductor.actionEvent(report, context: context)
        } catch {
            logger.warning("could not record event \(name) for \(instance.uuid): \(error)")
        }
        if let notifier, let action = VersionedNotification.action(ofEvent: name) {
            let phase = result == nil ? "start" : result == "Success" ? "end" : "error"
            var current = instance
            if let reached {
                current = reached
            } else if phase != "start", let fetched = try? await conductor.instanceGet(instance.uuid, context: context)
            {
                current = fetched
            }
            let fault = phase == "error" ? InstanceFault(code: 500, message: traceback ?? "", created: clock.now) : nil
            await notifier.instanceAction(
                action, phase: phase, instance: current, fault: fault, requestID: context.requestID,
                at: clock.now)
        }
    }

    @discardableResult
    func update(_ uuid: String, _ update: InstanceUpdate, _ context: RPCContext) async throws -> Instance {
        try await conductor.instanceUpdate(uuid, update, context: context)
    }
}
