import APISupport
import ComputeAPI
import ConsoleProxy
import Foundation
import Hummingbird
import IdentityService
import ImageService
import Logging
import NovaBus
import NovaCompute
import NovaConductor
import NovaCore
import NovaDB
import NovaScheduler
import NovaVirt
import NovaVirtQEMU
import PlacementAPI
import PlacementCore
import ServiceLifecycle

/// The whole cloud in one process: identity, image and compute APIs on one listener, conductor, scheduler
/// and N fake compute hosts talking over the in-process bus with encoded messages, one SQLite database.
public final class AllInOneCloud: Sendable {
    public let options: CloudOptions
    public let database: Database
    public let computeStore: ComputeStore
    public let identityStore: IdentityStore
    public let imageStore: ImageStore
    public let placement: PlacementService
    public let tokens: TokenService
    public let bus: any ServiceBus
    public let responder: RouterResponder<NovaRequestContext>
    /// The fake hosts' drivers (for tests that make them fail); empty when QEMU is the driver.
    public let drivers: [String: FakeDriver]
    /// Every host's driver, fake or QEMU.
    public let virtDrivers: [String: any VirtDriver]
    let computeAPI: ComputeRPCAPI
    public let firstStart: FirstStart.Result
    let computeManagers: [ComputeManager]
    let conductor: ConductorManager
    let clock: any WallClock
    let logger: Logger

    /// Builds every part; nothing runs until the application's services start.
    public static func build(options: CloudOptions, logger: Logger, clock: any WallClock = SystemClock()) async throws
        -> AllInOneCloud
    {
        try FileManager.default.createDirectory(atPath: options.dataDirectory, withIntermediateDirectories: true)
        let database = try await Database.open(connection: options.databaseConnection, logger: logger)
        let computeStore = ComputeStore(
            database: database, serviceDownTime: options.serviceDownTime, privateNetwork: options.fixedRange)
        let identityStore = IdentityStore(database: database)
        let imageStore = ImageStore(database: database)
        let files = try ImageFileStore(directory: options.dataDirectory + "/images")
        let firstStart = try await FirstStart(
            identity: identityStore, compute: computeStore, images: imageStore, files: files, clock: clock
        ).run(adminPassword: options.adminPassword)
        let imageBackend = LocalImageBackend(store: imageStore, files: files)
        if options.computeDriver == .qemu, let guestImage = options.qemu.guestImage {
            try await GuestImageRegistration(identity: identityStore, images: imageStore, files: files, clock: clock)
                .register(path: guestImage)
        }
        let placement = try await PlacementService(
            persistence: PlacementStore(database: database),
            randomizeCandidates: options.randomizeAllocationCandidates)
        let nodes = try await computeStore.computeNodes()
        for aggregate in try await computeStore.aggregates() {
            for node in nodes where aggregate.hosts.contains(node.report.host) {
                try await placement.setAggregate(
                    aggregate.uuid, member: true, providerNamed: node.report.hypervisorHostname)
            }
        }

        let bus: any ServiceBus =
            if let url = options.transportURL {
                try await NATSBus.connect(url: url, name: "nova-server", logger: Logger(label: "nova.bus"))
            } else {
                InProcessBus()
            }
        let rpc = RPCClient(bus: bus)
        let conductorAPI = ConductorRPCAPI(client: rpc)
        let computeAPI = ComputeRPCAPI(client: rpc)
        let schedulerAPI = SchedulerRPCAPI(client: rpc)

        var moveOptions = options.moves
        moveOptions.serviceDownTime = options.serviceDownTime
        moveOptions.reclaimInstanceInterval = options.reclaimInstanceInterval
        let conductor = ConductorManager(
            store: computeStore, placement: placement, scheduler: schedulerAPI, compute: computeAPI, clock: clock,
            logger: Logger(label: "nova.conductor"), moves: moveOptions)
        try await conductor.recoverInterruptedBuilds()
        let conductorDispatcher = conductor.dispatcher()
        try await bus.subscribe(topic: ConductorRPCAPI.topic) { await conductorDispatcher.handle($0) }

        let scheduler = try FilterScheduler(
            store: computeStore, placement: placement, clock: clock, options: options.scheduler)
        let schedulerDispatcher = scheduler.dispatcher()
        try await bus.subscribe(topic: SchedulerRPCAPI.topic) { await schedulerDispatcher.handle($0) }

        var drivers: [String: FakeDriver] = [:]
        var virtDrivers: [String: any VirtDriver] = [:]
        var managers: [ComputeManager] = []
        for host in options.computeHostNames {
            let driver: any VirtDriver
            switch options.computeDriver {
            case .fake:
                let fake = FakeDriver(hostname: host, total: options.fakeHostResources, images: imageBackend)
                let rounds = 5
                await fake.setLiveMigrationPace(
                    steps: rounds, delay: .milliseconds(Int(options.fakeLiveMigrationSeconds * 1000) / rounds))
                drivers[host] = fake
                driver = fake
            case .qemu:
                let hosts = options.computeHostNames.count
                driver = QEMUDriver(
                    config: QEMUDriverConfig(
                        instancesPath: hosts > 1 ? options.instancesPath + "/" + host : options.instancesPath,
                        hypervisorHostname: host, virtType: options.qemu.virtType,
                        shutdownTimeout: .seconds(options.qemu.shutdownTimeout)),
                    images: imageBackend, logger: Logger(label: "nova.virt.qemu.\(host)"))
            }
            virtDrivers[host] = driver
            let manager = ComputeManager(
                config: ComputeConfig(
                    host: host, availabilityZone: options.availabilityZone, reportInterval: options.reportInterval,
                    syncPowerStateInterval: options.syncPowerStateInterval,
                    cpuAllocationRatio: options.cpuAllocationRatio, ramAllocationRatio: options.ramAllocationRatio,
                    diskAllocationRatio: options.diskAllocationRatio,
                    reservedHostMemoryMB: options.reservedHostMemoryMB, shelvedOffloadTime: options.shelvedOffloadTime,
                    shelvedPollInterval: .seconds(options.shelvedPollInterval)),
                driver: driver, conductor: conductorAPI, placement: placement, images: imageBackend,
                notifier: options.versionedNotifications
                    ? Notifier(bus: bus, publisherID: "nova-compute:\(host)") : nil,
                clock: clock,
                logger: Logger(label: "nova.compute.\(host)"))
            let dispatcher = manager.dispatcher()
            try await bus.subscribe(topic: manager.topic) { await dispatcher.handle($0) }
            managers.append(manager)
        }

        let tokens = TokenService(store: identityStore, clock: clock, lifetime: options.tokenLifetime)
        let router = Router(context: NovaRequestContext.self)
        router.add(middleware: OpenStackMiddleware(validator: tokens))
        PlacementAPI(service: placement).register(on: router)
        IdentityAPI(store: identityStore, tokens: tokens).register(on: router)
        ImageAPI(store: imageStore, files: files, clock: clock).register(on: router)
        var apiConfig = ComputeAPIConfig(
            maxLimit: options.maxLimit, serviceDownTime: options.serviceDownTime,
            defaultAvailabilityZone: options.availabilityZone)
        apiConfig.novncProxyBaseURL = options.console.resolvedNoVNCBaseURL
        apiConfig.rawVNCProxyBaseURL = options.console.resolvedRawBaseURL
        apiConfig.consoleTokenTTL = TimeInterval(options.console.tokenTTL)
        apiConfig.reclaimInstanceInterval = options.reclaimInstanceInterval
        ComputeAPI(
            store: computeStore, images: imageStore, conductor: conductorAPI, compute: computeAPI,
            placement: placement, scheduler: schedulerAPI, clock: clock, config: apiConfig
        ).register(on: router)

        return AllInOneCloud(
            options: options, database: database, computeStore: computeStore, identityStore: identityStore,
            imageStore: imageStore, placement: placement, tokens: tokens, bus: bus, responder: router.buildResponder(),
            drivers: drivers, virtDrivers: virtDrivers, computeAPI: computeAPI,
            firstStart: firstStart, computeManagers: managers, conductor: conductor, clock: clock, logger: logger)
    }

    init(
        options: CloudOptions, database: Database, computeStore: ComputeStore, identityStore: IdentityStore,
        imageStore: ImageStore, placement: PlacementService, tokens: TokenService, bus: any ServiceBus,
        responder: RouterResponder<NovaRequestContext>,
        drivers: [String: FakeDriver], virtDrivers: [String: any VirtDriver], computeAPI: ComputeRPCAPI,
        firstStart: FirstStart.Result, computeManagers: [ComputeManager], conductor: ConductorManager,
        clock: any WallClock, logger: Logger
    ) {
        self.conductor = conductor
        self.options = options
        self.database = database
        self.computeStore = computeStore
        self.identityStore = identityStore
        self.imageStore = imageStore
        self.placement = placement
        self.tokens = tokens
        self.bus = bus
        self.responder = responder
        self.drivers = drivers
        self.virtDrivers = virtDrivers
        self.computeAPI = computeAPI
        self.firstStart = firstStart
        self.computeManagers = computeManagers
        self.clock = clock
        self.logger = logger
    }

    /// The services that run beside the HTTP server: message delivery, each compute host (registration,
    /// repair of interrupted work, periodic tasks) and the conductor's and scheduler's heartbeats.
    public var backgroundServices: [any Service] {
        var services: [any Service] = [
            BackgroundService(name: "bus") { [bus] in
                await withTaskCancellationHandler {
                    await bus.run()
                } onCancel: {
                    bus.shutdown()
                }
            }
        ]
        for manager in computeManagers {
            services.append(
                BackgroundService(name: "compute.\(manager.config.host)") { [logger] in
                    do {
                        try await manager.register()
                        try await manager.initInstances()
                    } catch {
                        logger.error("compute \(manager.config.host) failed to start: \(error)")
                    }
                    await manager.runPeriodicTasks()
                })
        }
        services.append(
            BackgroundService(name: "heartbeats") { [computeStore, options, clock] in
                while !Task.isCancelled {
                    for binary in ["nova-conductor", "nova-scheduler"] {
                        try? await computeStore.heartbeat(
                            host: options.hostname, binary: binary, topic: String(binary.dropFirst(5)),
                            zone: "internal",
                            at: clock.now)
                    }
                    // Nova's _cleanup_expired_console_auth_tokens.
                    _ = try? await computeStore.deleteExpiredConsoleTokens(now: clock.now)
                    try await Task.sleep(for: options.reportInterval)
                }
            })
        services.append(
            BackgroundService(name: "conductor.tasks") { [conductor, options] in
                // Unfinished scheduling steps of moves the last run left; compute steps come back with their hosts.
                await conductor.sweepMoves(all: true)
                while !Task.isCancelled {
                    try await Task.sleep(for: options.reportInterval)
                    await conductor.sweepMoves()
                    await conductor.confirmOverdueResizes()
                    await conductor.evacuateDownHosts()
                    await conductor.reclaimSoftDeleted()
                    await conductor.recoverStaleUnshelves()
                    await conductor.recoverStaleOperations()
                }
            })
        if options.console.enabled { services += consoleProxyServices }
        return services
    }

    /// nova-novncproxy and the raw VNC proxy, each on its own port. A proxy that cannot listen is logged and
    /// left out: the rest of the cloud runs on.
    var consoleProxyServices: [any Service] {
        let authorizer = ConsoleAuthorizer(store: computeStore, compute: computeAPI, clock: clock)
        let console = options.console
        let noVNC = NoVNCProxy(
            authorizer: authorizer, webRoot: console.webRoot, allowedOrigins: console.allowedOrigins,
            logger: Logger(label: "nova.novncproxy"))
        let raw = RawVNCProxy(authorizer: authorizer, logger: Logger(label: "nova.rawvncproxy"))
        return [
            BackgroundService(name: "novncproxy") { [logger] in
                do {
                    try await noVNC.makeApplication(host: console.noVNCHost, port: console.noVNCPort).run()
                } catch {
                    logger.error("nova-novncproxy cannot listen on \(console.noVNCHost):\(console.noVNCPort): \(error)")
                    // A service that returns would end the whole group: wait for the shutdown instead.
                    try await gracefulShutdown()
                }
            },
            BackgroundService(name: "rawvncproxy") { [logger] in
                let listener: RawVNCProxy.Listener
                do {
                    listener = try await raw.bind(host: console.rawHost, port: console.rawPort)
                } catch {
                    logger.error("the raw VNC proxy cannot listen on \(console.rawHost):\(console.rawPort): \(error)")
                    try await gracefulShutdown()
                    return
                }
                try await raw.serve(listener)
            },
        ]
    }

    /// The HTTP application with the background services, ready to run.
    public func makeApplication() -> some ApplicationProtocol {
        Application(
            responder: responder,
            configuration: ApplicationConfiguration(
                address: .hostname(options.listenHost, port: options.listenPort), serverName: "nova-swift"),
            services: backgroundServices, logger: logger)
    }
}
