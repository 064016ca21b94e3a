import APISupport
import ComputeAPI
import EC2API
import Foundation
import Hummingbird
import IdentityService
import ImageService
import Logging
import NetworkAPI
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
import ServiceClients
import ServiceLifecycle
import VolumeAPI
import VolumeCore

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
    /// One per compute host, in `options.computeHostNames` order.
    public let computeManagers: [ComputeManager]
    public let conductor: ConductorManager
    /// The networking service (its mechanism driver runs in the background).
    public let networkAPI: NetworkAPI
    /// The block-storage service's worker (the backend's part of each change).
    let volumeWorker: any Service
    let clock: any WallClock
    let logger: Logger
    /// When this process built the cloud: builds untouched since were the last run's.
    let startedAt: Date
    /// Lets the sessions to a genuine Keystone and Glance go (nothing with the embedded services).
    let closeSessions: @Sendable () async -> Void

    /// Builds every part; nothing runs until the application's services start.
    public static func build(options: CloudOptions, logger: Logger, clock: any WallClock = SystemClock()) async throws
        -> AllInOneCloud
    {
        let startedAt = clock.now
        try FileManager.default.createDirectory(
            atPath: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let database = try await Database.open(connection: options.databaseConnection, logger: logger)
        let computeStore = ComputeStore(
            database: database, serviceDownTime: options.serviceDownTime, privateNetwork: options.fixedRange)
        let (identityStore, imageStore, files, firstStart) = try await CloudParts.identityAndImages(
            options: options, database: database, store: computeStore, clock: clock)
        // A genuine Keystone or Glance is called over a session of this process ([keystone_authtoken]).
        let session = options.externalSession()
        let imageBackend: any ImageBackend =
            if let session, !options.embeddedImages {
                RemoteImageBackend(session: session)
            } else {
                LocalImageBackend(store: imageStore, files: files)
            }
        let volumeImages: any VolumeImageService =
            if let session, !options.embeddedImages {
                RemoteVolumeImages(session: session)
            } else {
                LocalVolumeImages(store: imageStore, files: files, clock: clock)
            }
        let imageCatalog: any ImageCatalog =
            if let session, !options.embeddedImages { GlanceImageCatalog(session: session) } else { imageStore }
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

        let bus = try await CloudParts.connectBus(options, name: "nova-server")
        let rpc = RPCClient(bus: bus, timeout: .seconds(options.rpcResponseTimeout))
        let conductorAPI = ConductorRPCAPI(client: rpc)
        let computeAPI = ComputeRPCAPI(client: rpc)
        let schedulerAPI = SchedulerRPCAPI(client: rpc)
        let networkAPI = try await CloudParts.networkAPI(
            options: options, database: database, identity: identityStore,
            nova: ServerEventRouter(store: computeStore, compute: computeAPI, clock: clock))
        let networkClient = LocalNetworkClient(api: networkAPI)
        let (volumeAPI, volumeWorker) = try await CloudParts.volumeAPI(
            options: options, database: database,
            images: volumeImages,
            nova: ServerEventRouter(store: computeStore, compute: computeAPI, clock: clock), clock: clock)
        await FixedAddressMigration(store: computeStore, network: networkClient, logger: logger).runLogged()

        let conductor = ConductorManager(
            store: computeStore, placement: placement, scheduler: schedulerAPI, compute: computeAPI, clock: clock,
            logger: Logger(label: "nova.conductor"), moves: CloudParts.moveOptions(options))
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
            let driver = await CloudParts.makeDriver(
                host: host, hostIP: options.myIP ?? "127.0.0.1",
                instancesPath: options.computeHostNames.count > 1
                    ? options.instancesPath + "/" + host : options.instancesPath,
                options: options, images: imageBackend)
            drivers[host] = driver as? FakeDriver
            virtDrivers[host] = driver
            managers.append(
                try await CloudParts.startComputeManager(
                    host: host, driver: driver, options: options, bus: bus, conductor: conductorAPI,
                    placement: placement, images: imageBackend, network: networkClient,
                    volumes: LocalVolumeClient(api: volumeAPI), clock: clock))
        }

        let tokens = options.tokenService(store: identityStore, clock: clock)
        let router = Router(context: NovaRequestContext.self)
        let validator = options.tokenValidator(embedded: tokens)
        router.add(middleware: OpenStackMiddleware(validator: validator))
        PlacementAPI(
            service: placement,
            policy: try PolicyEnforcer(defaults: PlacementPolicy.defaults, options: options.policy)
        ).register(on: router)
        if options.embeddedIdentity {
            IdentityAPI(
                store: identityStore, tokens: tokens, cipher: try CredentialCipher(keyFile: options.credentialKeyFile)
            ).register(on: router)
        }
        let imageAPI =
            options.embeddedImages
            ? ImageAPI(store: imageStore, files: files, clock: clock, quotas: options.imageQuotas) : nil
        imageAPI?.register(on: router)
        networkAPI.register(on: router)
        volumeAPI.register(on: router)
        ComputeAPI(
            store: computeStore, images: imageCatalog, conductor: conductorAPI, compute: computeAPI,
            placement: placement, network: networkClient, volumes: LocalVolumeClient(api: volumeAPI),
            scheduler: schedulerAPI, clock: clock,
            config: ComputeAPIConfig(options: options), imageService: imageAPI
        ).register(on: router)
        // The EC2 front end calls the APIs above through this router, as its clients' requests would go.
        let responder = CloudParts.responderWithEC2(
            router, options: options, session: session, database: database, clock: clock)

        return AllInOneCloud(
            options: options, database: database, computeStore: computeStore, identityStore: identityStore,
            imageStore: imageStore, placement: placement, tokens: tokens, bus: bus, responder: responder,
            drivers: drivers, virtDrivers: virtDrivers, computeAPI: computeAPI,
            firstStart: firstStart, computeManagers: managers, conductor: conductor, networkAPI: networkAPI,
            volumeWorker: volumeWorker, clock: clock, logger: logger,
            startedAt: startedAt,
            closeSessions: {
                await (validator as? KeystoneTokenValidator)?.shutdown()
                await session?.shutdown()
            })
    }

    init(
        options: CloudOptions, database: Database, computeStore: ComputeStore, identityStore: IdentityStore,
        imageStore: ImageStore, placement: PlacementService, tokens: TokenService, bus: any ServiceBus,
        responder: RouterResponder<NovaRequestContext>,
        drivers: [String: FakeDriver], virtDrivers: [String: any VirtDriver], computeAPI: ComputeRPCAPI,
        firstStart: FirstStart.Result, computeManagers: [ComputeManager], conductor: ConductorManager,
        networkAPI: NetworkAPI, volumeWorker: any Service, clock: any WallClock, logger: Logger, startedAt: Date,
        closeSessions: @escaping @Sendable () async -> Void
    ) {
        self.closeSessions = closeSessions
        self.volumeWorker = volumeWorker
        self.conductor = conductor
        self.networkAPI = networkAPI
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
        self.startedAt = startedAt
    }

    /// The services that run beside the HTTP server: message delivery, each compute host (registration,
    /// repair of interrupted work, periodic tasks) and the conductor's and scheduler's heartbeats.
    public var backgroundServices: [any Service] {
        var services: [any Service] = [
            DatabaseCloser(database: database), SessionCloser(close: closeSessions), CloudParts.busService(bus),
            volumeWorker,
        ]
        services += computeManagers.map { CloudParts.computeService($0, logger: logger) }
        services.append(
            CloudParts.heartbeatService(
                store: computeStore, host: options.hostname, binaries: ["nova-conductor", "nova-scheduler"],
                interval: options.reportInterval, clock: clock))
        services.append(
            CloudParts.conductorTasksService(
                conductor, interval: options.reportInterval, soleConductorSince: startedAt))
        if options.metadata.enabled {
            services.append(CloudParts.metadataService(store: computeStore, options: options, logger: logger))
        }
        if let agent = options.metadataAgent { services.append(CloudParts.metadataAgentService(agent)) }
        if options.console.enabled {
            services += CloudParts.consoleProxyServices(
                store: computeStore, compute: computeAPI, options: options, clock: clock, logger: logger)
        }
        return services
    }

    /// The HTTP application with the background services, ready to run.
    public func makeApplication() throws -> some ApplicationProtocol {
        try HTTPListener.application(
            responder: responder, host: options.listenHost, port: options.listenPort, tls: options.tls,
            cors: options.cors,
            services: backgroundServices, logger: logger)
    }
}
