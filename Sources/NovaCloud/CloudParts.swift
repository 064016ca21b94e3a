import ConsoleProxy
import Foundation
import HTTPTypes
import Hummingbird
import ImageService
import MetadataAgent
import Logging
import NovaBus
import NovaCompute
import NovaConductor
import NovaCore
import NovaDB
import NovaMetadata
import NovaVirt
import NovaVirtQEMU
import PlacementCore
import ServiceLifecycle

/// The pieces the all-in-one and the separate service processes are both made of.
enum CloudParts {
    /// The identity and image stores a process serving those APIs needs, after the first start's setup
    /// (roles, users, flavors, the default image) and, with QEMU, the guest image's registration.
    static func identityAndImages(options: CloudOptions, database: Database, store: ComputeStore, clock: any WallClock)
        async throws -> (
            identity: IdentityStore, images: ImageStore, files: ImageFileStore, firstStart: FirstStart.Result
        )
    {
        let identity = IdentityStore(database: database)
        let images = ImageStore(database: database)
        let files = try ImageFileStore(directory: options.dataDirectory + "/images")
        let firstStart = try await FirstStart(
            identity: identity, compute: store, images: images, files: files, clock: clock
        ).run(
            adminPassword: options.adminPassword, embeddedIdentity: options.embeddedIdentity,
            embeddedImages: options.embeddedImages)
        if options.computeDriver == .qemu, let guestImage = options.qemu.guestImage, options.embeddedIdentity,
            options.embeddedImages
        {
            try await GuestImageRegistration(identity: identity, images: images, files: files, clock: clock)
                .register(path: guestImage)
        }
        return (identity, images, files, firstStart)
    }

    /// The bus the options name: NATS for `transport_url = nats://...`, else in this process.
    static func connectBus(_ options: CloudOptions, name: String) async throws -> any ServiceBus {
        if let url = options.transportURL {
            return try await NATSBus.connect(
                url: url, name: name, logger: Logger(label: "nova.bus"),
                jetStreamNotifications: options.versionedNotifications && options.jetStreamNotifications)
        }
        return InProcessBus()
    }

    static func busService(_ bus: any ServiceBus) -> any Service {
        BackgroundService(name: "bus") {
            await withTaskCancellationHandler {
                await bus.run()
            } onCancel: {
                bus.shutdown()
            }
        }
    }

    static func moveOptions(_ options: CloudOptions) -> MoveOptions {
        var moves = options.moves
        moves.serviceDownTime = options.serviceDownTime
        moves.reclaimInstanceInterval = options.reclaimInstanceInterval
        return moves
    }

    /// The virt driver of one compute host.
    static func makeDriver(
        host: String, hostIP: String, instancesPath: String, options: CloudOptions, images: any ImageBackend
    ) async -> any VirtDriver {
        switch options.computeDriver {
        case .fake:
            let fake = FakeDriver(hostname: host, hostIP: hostIP, total: options.fakeHostResources, images: images)
            let rounds = 5
            await fake.setLiveMigrationPace(
                steps: rounds, delay: .milliseconds(Int(options.fakeLiveMigrationSeconds * 1000) / rounds))
            return fake
        case .qemu:
            var config = QEMUDriverConfig(
                instancesPath: instancesPath, hypervisorHostname: host, hostIP: hostIP,
                virtType: options.qemu.virtType, vncListen: options.console.serverListen,
                vncProxyClientAddress: options.console.serverProxyClientAddress,
                shutdownTimeout: .seconds(options.qemu.shutdownTimeout))
            config.ovsdbConnection = options.qemu.ovsdbConnection
            config.serialProxyClientAddress = options.console.serialProxyClientAddress
            if options.console.spiceEnabled {
                config.spice = QEMUDriverConfig.SPICE(
                    listen: options.console.spiceServerListen,
                    proxyClientAddress: options.console.spiceProxyClientAddress)
            }
            config.forceConfigDrive = options.qemu.forceConfigDrive
            config.mkisofsCommand = options.qemu.mkisofsCommand
            config.ephemeralFormat = options.qemu.ephemeralFormat
            return QEMUDriver(config: config, images: images, logger: Logger(label: "nova.virt.qemu.\(host)"))
        }
    }

    /// One compute host's manager, subscribed to its topic.
    static func startComputeManager(
        host: String, driver: any VirtDriver, options: CloudOptions, bus: any ServiceBus,
        conductor: ConductorRPCAPI, placement: any PlacementClient, images: any ImageBackend,
        network: any NetworkClient, volumes: any VolumeClient, clock: any WallClock
    ) async throws -> ComputeManager {
        var config = ComputeConfig(
            host: host, availabilityZone: options.availabilityZone, reportInterval: options.reportInterval,
            syncPowerStateInterval: options.syncPowerStateInterval,
            cpuAllocationRatio: options.cpuAllocationRatio, ramAllocationRatio: options.ramAllocationRatio,
            diskAllocationRatio: options.diskAllocationRatio,
            reservedHostMemoryMB: options.reservedHostMemoryMB, shelvedOffloadTime: options.shelvedOffloadTime,
            shelvedPollInterval: .seconds(options.shelvedPollInterval))
        config.vifPluggingTimeout = .seconds(options.vifPluggingTimeout)
        config.vifPluggingIsFatal = options.vifPluggingIsFatal
        config.instanceUsageAudit = options.instanceUsageAudit
        config.instanceUsageAuditPeriod = options.instanceUsageAuditPeriod
        let manager = ComputeManager(
            config: config,
            driver: driver, conductor: conductor, placement: placement, images: images, network: network,
            volumes: volumes,
            notifier: options.versionedNotifications ? Notifier(bus: bus, publisherID: "nova-compute:\(host)") : nil,
            clock: clock,
            logger: Logger(label: "nova.compute.\(host)"))
        let dispatcher = manager.dispatcher()
        try await bus.subscribe(topic: manager.topic) { await dispatcher.handle($0) }
        return manager
    }

    /// A compute host's life: registration, repair of interrupted work, then its periodic tasks. Like Nova's
    /// compute waiting for the conductor, a host whose start fails (no conductor yet, Placement down) tries
    /// again every second until it has started.
    static func computeService(_ manager: ComputeManager, logger: Logger) -> any Service {
        BackgroundService(name: "compute.\(manager.config.host)") {
            for attempt in 1... {
                do {
                    try await manager.register()
                    try await manager.initInstances()
                    break
                } catch {
                    if attempt == 1 || attempt % 30 == 0 {
                        logger.warning("compute \(manager.config.host) cannot start yet (trying again): \(error)")
                    }
                    try await Task.sleep(for: .seconds(1))
                }
            }
            await manager.runPeriodicTasks()
        }
    }

    /// The service rows of `binaries` on `host` kept alive; the conductor's heartbeat also drops expired
    /// console tokens (Nova's _cleanup_expired_console_auth_tokens).
    static func heartbeatService(
        store: ComputeStore, host: String, binaries: [String], interval: Duration, clock: any WallClock
    ) -> any Service {
        BackgroundService(name: "heartbeats") {
            while !Task.isCancelled {
                for binary in binaries {
                    try? await store.heartbeat(
                        host: host, binary: binary, topic: String(binary.dropFirst(5)), zone: "internal", at: clock.now)
                }
                if binaries.contains("nova-conductor") {
                    _ = try? await store.deleteExpiredConsoleTokens(now: clock.now)
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// The conductor's periodic work on moves, resizes, down hosts, soft deletes and stalled operations.
    /// A sole conductor (the all-in-one, built at `soleConductorSince`) also takes over at start every
    /// scheduling step and every build the last run left; beside other conductors, only those past their
    /// deadline are taken.
    static func conductorTasksService(_ conductor: ConductorManager, interval: Duration, soleConductorSince: Date?)
        -> any Service
    {
        BackgroundService(name: "conductor.tasks") {
            // Unfinished scheduling steps of moves the last run left; compute steps come back with their hosts.
            // Builds the last run accepted but never placed are scheduled again (nothing of them survived).
            if let soleConductorSince {
                await conductor.sweepMoves(all: true)
                try? await conductor.recoverInterruptedBuilds(untouchedSince: soleConductorSince)
            }
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await conductor.sweepMoves()
                await conductor.confirmOverdueResizes()
                await conductor.evacuateDownHosts()
                await conductor.reclaimSoftDeleted()
                await conductor.recoverStaleUnshelves()
                await conductor.recoverStaleOperations()
                await conductor.recoverStalledBuilds()
            }
        }
    }

    /// Nova's metadata API on its own listener (`metadata_listen:metadata_listen_port`), for the networking
    /// service's metadata proxies. One that cannot listen is logged and left out.
    static func metadataService(store: ComputeStore, options: CloudOptions, logger: Logger) -> any Service {
        let handler = MetadataHandler(sharedSecret: options.metadata.sharedSecret) { uuid in
            try await store.instance(uuid: uuid).flatMap { $0.isDeleted ? nil : $0 }
        } savePassword: { uuid, password in
            // Set once, in one transaction with the check: a second post (or two at once) finds it set.
            do {
                _ = try await store.mutateInstance(uuid: uuid) { instance in
                    guard instance.encryptedPassword?.isEmpty ?? true else {
                        throw NovaError.conflict("The password is already set.")
                    }
                    instance.encryptedPassword = password
                }
                return true
            } catch let error as NovaError where error.code.status == 409 {
                return false
            }
        }
        let metadata = options.metadata
        return BackgroundService(name: "metadata") {
            let router = Router()
            @Sendable func respond(_ request: Request) async throws -> Response {
                // One byte past Nova's limit is enough to tell a post that is too large.
                let body = try await request.body.collect(upTo: MetadataHandler.maxPasswordBytes + 1024)
                let answer = await handler.answer(
                    method: request.method.rawValue, path: request.uri.path, body: Array(buffer: body),
                    instanceID: request.headers[.metadataInstanceID], tenantID: request.headers[.metadataTenantID],
                    signature: request.headers[.metadataSignature])
                return Response(
                    status: HTTPResponse.Status(code: answer.status),
                    headers: [.contentType: answer.contentType],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
            }
            router.get("**") { request, _ in try await respond(request) }
            router.post("**") { request, _ in try await respond(request) }
            do {
                try await Application(
                    router: router, configuration: .init(address: .hostname(metadata.host, port: metadata.port)),
                    logger: Logger(label: "nova.metadata")
                ).run()
            } catch {
                logger.error("the metadata API cannot listen on \(metadata.host):\(metadata.port): \(error)")
                try await gracefulShutdown()
            }
        }
    }

    /// The compute host's metadata agent (ovn-metadata-agent's part), from start to graceful shutdown.
    static func metadataAgentService(_ options: MetadataAgentOptions) -> any Service {
        BackgroundService(name: "metadata-agent") {
            let agent = OVNMetadataAgent(options: options)
            await agent.start()
            do {
                try await Task.sleep(for: .seconds(365 * 86400 * 100))
            } catch {
                await agent.stop()
                throw error
            }
        }
    }

    /// nova-novncproxy and the raw VNC proxy, each on its own port. A proxy that cannot listen is logged and
    /// left out: the rest of the cloud runs on.
    static func consoleProxyServices(
        store: ComputeStore, compute: ComputeRPCAPI, options: CloudOptions, clock: any WallClock, logger: Logger
    ) -> [any Service] {
        let authorizer = ConsoleAuthorizer(store: store, compute: compute, clock: clock)
        let console = options.console
        let noVNC = NoVNCProxy(
            authorizer: authorizer, webRoot: console.webRoot, allowedOrigins: console.allowedOrigins,
            logger: Logger(label: "nova.novncproxy"))
        let raw = RawVNCProxy(authorizer: authorizer, logger: Logger(label: "nova.rawvncproxy"))
        // Read in each service, so that a bad `[ssl]` stops the proxy instead of serving it in the clear.
        let tlsOptions = options.tls
        // A proxy that cannot listen is logged; a service that returns would end the whole group, so it waits
        // for the shutdown instead.
        func listening(_ name: String, _ host: String, _ port: Int, _ run: @escaping @Sendable () async throws -> Void)
            -> any Service
        {
            BackgroundService(name: name) {
                do {
                    try await run()
                } catch {
                    logger.error("nova-\(name) cannot listen on \(host):\(port): \(error)")
                    try await gracefulShutdown()
                }
            }
        }
        var services: [any Service] = []
        if console.serialEnabled {
            let serial = SerialProxy(
                authorizer: authorizer, allowedOrigins: console.allowedOrigins,
                logger: Logger(label: "nova.serialproxy"))
            services.append(
                listening("serialproxy", console.serialHost, console.serialPort) {
                    try await serial.makeApplication(
                        host: console.serialHost, port: console.serialPort, tls: try tlsOptions?.serverConfiguration()
                    ).run()
                })
        }
        if console.spiceEnabled {
            let spice = SpiceHTML5Proxy(
                authorizer: authorizer, webRoot: console.spiceWebRoot, allowedOrigins: console.allowedOrigins,
                logger: Logger(label: "nova.spicehtml5proxy"))
            services.append(
                listening("spicehtml5proxy", console.spiceHost, console.spicePort) {
                    try await spice.makeApplication(
                        host: console.spiceHost, port: console.spicePort, tls: try tlsOptions?.serverConfiguration()
                    ).run()
                })
        }
        return services + [
            listening("novncproxy", console.noVNCHost, console.noVNCPort) {
                try await noVNC.makeApplication(
                    host: console.noVNCHost, port: console.noVNCPort, tls: try tlsOptions?.serverConfiguration()
                ).run()
            },
            BackgroundService(name: "rawvncproxy") {
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
}

extension HTTPField.Name {
    /// What the networking service's metadata proxy adds to a guest's request.
    static let metadataInstanceID = HTTPField.Name("X-Instance-ID")!
    static let metadataTenantID = HTTPField.Name("X-Tenant-ID")!
    static let metadataSignature = HTTPField.Name("X-Instance-ID-Signature")!
}
