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
import NovaConfig
import NovaCore
import NovaDB
import NovaScheduler
import PlacementCore
import ServiceClients
import ServiceLifecycle
import VolumeAPI

/// The services of a scale-out deployment, one process each (`nova-server api|conductor|scheduler|compute|
/// novncproxy|metadata`; Placement is `nova-server placement`). They share the database, except compute hosts, which
/// have only the bus; Placement and Glance are reached over HTTP.
public enum ServiceRole: String, CaseIterable, Sendable {
    case api, conductor, scheduler, compute, novncproxy, metadata
}

public struct ServiceProcess: Sendable {
    public let role: ServiceRole
    let options: CloudOptions
    let services: [any Service]
    /// The API's routes (identity, image, compute); nil for the roles that serve no HTTP of their own.
    let responder: RouterResponder<NovaRequestContext>?
    let logger: Logger
    /// What the process says when it is ready.
    public let summary: String
    /// The HTTP client to Keystone, Placement and Glance, shut down when the process ends.
    let session: ServiceSession?

    public static func build(_ role: ServiceRole, options: CloudOptions, logger: Logger) async throws -> ServiceProcess
    {
        guard options.transportURL != nil else {
            throw ConfigError(message: "nova-server \(role.rawValue) needs [DEFAULT] transport_url = nats://host:port")
        }
        let clock = SystemClock()
        let bus = try await CloudParts.connectBus(options, name: "nova-\(role.rawValue):\(options.hostname)")
        let rpc = RPCClient(bus: bus, timeout: .seconds(options.rpcResponseTimeout))
        var services: [any Service] = [CloudParts.busService(bus)]
        var responder: RouterResponder<NovaRequestContext>?
        var summary = "nova-\(role.rawValue) on host \(options.hostname), bus \(options.transportURL ?? "")"
        let session =
            role == .novncproxy || role == .metadata
            ? nil : ServiceSession(credentials: try options.requiredServiceCredentials(for: role.rawValue))
        switch role {
        case .compute:
            guard let session else { preconditionFailure("compute hosts have a session") }
            let images = RemoteImageBackend(session: session)
            let driver = await CloudParts.makeDriver(
                host: options.hostname, hostIP: options.myIP ?? HostAddress.firstNonLoopbackIPv4(),
                instancesPath: options.instancesPath, options: options, images: images)
            let manager = try await CloudParts.startComputeManager(
                host: options.hostname, driver: driver, options: options, bus: bus,
                conductor: ConductorRPCAPI(client: rpc), placement: RemotePlacement(session: session),
                images: images, network: RemoteNetwork(session: session), volumes: RemoteVolume(session: session),
                clock: clock)
            services.append(CloudParts.computeService(manager, logger: logger))
            if let agent = options.metadataAgent {
                services.append(CloudParts.metadataAgentService(agent))
                summary += ", metadata agent to \(agent.novaMetadataURL)"
            }
            summary += ", driver \(options.computeDriver.rawValue), instances in \(options.instancesPath)"
        case .conductor, .scheduler, .novncproxy, .metadata, .api:
            let database = try await Database.open(connection: options.databaseConnection, logger: logger)
            services.insert(DatabaseCloser(database: database), at: 0)
            let store = ComputeStore(
                database: database, serviceDownTime: options.serviceDownTime, privateNetwork: options.fixedRange)
            switch role {
            case .conductor:
                guard let session else { preconditionFailure("conductors have a session") }
                let conductor = ConductorManager(
                    store: store, placement: RemotePlacement(session: session), scheduler: SchedulerRPCAPI(client: rpc),
                    compute: ComputeRPCAPI(client: rpc), clock: clock, logger: Logger(label: "nova.conductor"),
                    moves: CloudParts.moveOptions(options))
                let dispatcher = conductor.dispatcher()
                try await bus.subscribe(topic: ConductorRPCAPI.topic) { await dispatcher.handle($0) }
                services.append(
                    CloudParts.conductorTasksService(
                        conductor, interval: options.reportInterval, soleConductorSince: nil))
            case .scheduler:
                guard let session else { preconditionFailure("schedulers have a session") }
                let scheduler = try FilterScheduler(
                    store: store, placement: RemotePlacement(session: session), clock: clock,
                    options: options.scheduler)
                let dispatcher = scheduler.dispatcher()
                try await bus.subscribe(topic: SchedulerRPCAPI.topic) { await dispatcher.handle($0) }
            case .novncproxy:
                services += CloudParts.consoleProxyServices(
                    store: store, compute: ComputeRPCAPI(client: rpc), options: options, clock: clock, logger: logger)
                summary += ", noVNC on \(options.console.noVNCHost):\(options.console.noVNCPort)"
            case .metadata:
                services.append(CloudParts.metadataService(store: store, options: options, logger: logger))
                summary += ", metadata API on \(options.metadata.host):\(options.metadata.port)"
            case .compute:
                preconditionFailure("compute hosts never open the database")
            case .api:
                guard let session else { preconditionFailure("the API has a session") }
                let (apiRoutes, apiServices) = try await apiResponder(
                    options: options, database: database, store: store, rpc: rpc, session: session)
                responder = apiRoutes
                services += apiServices
                summary =
                    "nova-api: identity, image and compute on \(options.listenerScheme)://\(options.listenHost):\(options.listenPort)"
                    + ", placement at \(options.scaleOut.placementURL ?? "(this listener)")"
            }
            if role == .conductor || role == .scheduler {
                services.append(
                    CloudParts.heartbeatService(
                        store: store, host: options.hostname, binaries: ["nova-\(role.rawValue)"],
                        interval: options.reportInterval, clock: clock))
            }
        }
        return ServiceProcess(
            role: role, options: options, services: services, responder: responder, logger: logger, summary: summary,
            session: session)
    }

    /// The identity, image and compute APIs over the shared database; Placement through its HTTP API.
    static func apiResponder(
        options: CloudOptions, database: Database, store: ComputeStore, rpc: RPCClient, session: ServiceSession
    ) async throws -> (RouterResponder<NovaRequestContext>, [any Service]) {
        let clock = SystemClock()
        let (identityStore, imageStore, files, firstStart) = try await CloudParts.identityAndImages(
            options: options, database: database, store: store, clock: clock)
        if options.writeOpenrc {
            _ = try Openrc.write(options: options, firstStart: firstStart, updateExisting: false)
        }
        let tokens = options.tokenService(store: identityStore, clock: clock)
        let router = Router(context: NovaRequestContext.self)
        router.add(middleware: OpenStackMiddleware(validator: options.tokenValidator(embedded: tokens)))
        var overrides: [String: String] = [:]
        overrides["placement"] = options.scaleOut.placementURL
        overrides["network"] = options.scaleOut.networkURL
        if let volume = options.scaleOut.volumeURL {
            overrides["block-storage"] = volume + "/$(project_id)s"
            overrides["volumev3"] = volume + "/$(project_id)s"
        }
        if options.embeddedIdentity {
            IdentityAPI(
                store: identityStore, tokens: tokens,
                cipher: try CredentialCipher(keyFile: options.credentialKeyFile),
                catalog: ServiceCatalog(overrides: overrides)
            ).register(on: router)
        }
        let imageAPI =
            options.embeddedImages
            ? ImageAPI(store: imageStore, files: files, clock: clock, quotas: options.imageQuotas) : nil
        imageAPI?.register(on: router)
        // The networking API is served here unless it runs in a process of its own ([neutron] endpoint_override).
        var network: any NetworkClient = RemoteNetwork(session: session)
        if options.scaleOut.networkURL == nil {
            let networkAPI = try await CloudParts.networkAPI(
                options: options, database: database, identity: identityStore,
                nova: ServerEventRouter(store: store, compute: ComputeRPCAPI(client: rpc), clock: clock))
            networkAPI.register(on: router)
            network = LocalNetworkClient(api: networkAPI)
        }
        await FixedAddressMigration(store: store, network: network, logger: Logger(label: "nova.api")).runLogged()
        // The block-storage API is served here unless it runs in a process of its own ([cinder] endpoint_override).
        var volumes: any VolumeClient = RemoteVolume(session: session)
        var services: [any Service] = []
        if options.scaleOut.volumeURL == nil {
            let (volumeAPI, volumeWorker) = try await CloudParts.volumeAPI(
                options: options, database: database,
                images: options.embeddedImages
                    ? LocalVolumeImages(store: imageStore, files: files, clock: clock)
                    : RemoteVolumeImages(session: session),
                nova: ServerEventRouter(store: store, compute: ComputeRPCAPI(client: rpc), clock: clock), clock: clock)
            volumeAPI.register(on: router)
            volumes = LocalVolumeClient(api: volumeAPI)
            services.append(volumeWorker)
        }
        ComputeAPI(
            store: store, images: options.embeddedImages ? imageStore : GlanceImageCatalog(session: session),
            conductor: ConductorRPCAPI(client: rpc),
            compute: ComputeRPCAPI(client: rpc), placement: RemotePlacement(session: session), network: network,
            volumes: volumes,
            scheduler: SchedulerRPCAPI(client: rpc), clock: clock, config: ComputeAPIConfig(options: options),
            imageService: imageAPI
        ).register(on: router)
        // The EC2 front end on this listener calls the compute and image APIs through this router.
        let responder = CloudParts.responderWithEC2(
            router, options: options, session: session, database: database, clock: clock)
        return (responder, services)
    }

    /// Runs until SIGTERM or SIGINT: the HTTP listener with the services, or the services alone.
    public func run() async throws {
        do {
            try await serve()
        } catch {
            await session?.shutdown()
            throw error
        }
        await session?.shutdown()
    }

    func serve() async throws {
        if let responder {
            try await HTTPListener.application(
                responder: responder, host: options.listenHost, port: options.listenPort, tls: options.tls,
                cors: options.cors,
                services: services, logger: logger
            ).runService()
        } else {
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}

extension ComputeAPIConfig {
    /// The API's options from the cloud's.
    init(options: CloudOptions) {
        self.init(
            maxLimit: options.maxLimit, serviceDownTime: options.serviceDownTime,
            defaultAvailabilityZone: options.availabilityZone)
        novncProxyBaseURL = options.resolvedNoVNCBaseURL
        serialConsoleBaseURL = options.console.serialEnabled ? options.resolvedSerialBaseURL : nil
        spiceConsoleBaseURL = options.console.spiceEnabled ? options.resolvedSpiceBaseURL : nil
        spiceDirectBaseURL = options.console.spiceDirectBaseURL
        rawVNCProxyBaseURL = options.console.resolvedRawBaseURL
        consoleTokenTTL = TimeInterval(options.console.tokenTTL)
        reclaimInstanceInterval = options.reclaimInstanceInterval
        defaultScheduleZone = options.defaultScheduleZone
        instanceUsageAuditPeriod = options.instanceUsageAuditPeriod
    }
}
