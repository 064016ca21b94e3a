import APISupport
import Foundation
import Hummingbird
import IdentityService
import Logging
import NetworkAPI
import NetworkCore
import NetworkOVN
import NovaCore
import NovaDB
import ServiceClients

/// `nova-server network`: the networking API alone on its own listener, over the same database, tokens
/// checked against the identity tables there.
public enum NetworkOnly {
    public static func makeApplication(options: CloudOptions, host: String, port: Int, logger: Logger) async throws
        -> some ApplicationProtocol
    {
        try FileManager.default.createDirectory(
            atPath: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let database = try await Database.open(connection: options.databaseConnection, logger: logger)
        let identity = IdentityStore(database: database)
        let tokens = options.tokenValidator(embedded: options.tokenService(store: identity, clock: SystemClock()))
        let router = Router(context: NovaRequestContext.self)
        router.add(middleware: OpenStackMiddleware(validator: tokens))
        // Nova is told of its servers' ports over HTTP when the service has credentials ([service_user]).
        let session = options.scaleOut.credentials.map { ServiceSession(credentials: $0) }
        try await CloudParts.networkAPI(
            options: options, database: database, identity: identity,
            nova: session.map { RemoteServerEvents(session: $0) }
        ).register(on: router)
        return try HTTPListener.application(
            responder: router.buildResponder(), host: host, port: port, tls: options.tls, cors: options.cors,
            services: [DatabaseCloser(database: database)], logger: logger)
    }
}

extension CloudParts {
    /// The networking API over `database` with the configured mechanism driver, after the first start's
    /// networks are made.
    static func networkAPI(
        options: CloudOptions, database: Database, identity: IdentityStore, nova: (any ServerEventSink)?
    ) async throws -> NetworkAPI {
        let store = NetworkStore(database: database, options: options.network)
        let clock = SystemClock()
        try await NetworkBootstrap(identity: identity, store: store, privateRange: options.fixedRange, clock: clock)
            .run()
        let driver: any MechanismDriver =
            options.mechanismDrivers == ["ovn"]
            ? OVNMechanismDriver(options: options.ovn, records: store) : NoopMechanismDriver()
        let api = NetworkAPI(store: store, driver: driver, clock: clock, nova: nova)
        await driver.start(statuses: api)
        do {
            try await api.ensureMetadataPorts()
        } catch {
            Logger(label: "neutron").warning("the networks' metadata ports were not made: \(error)")
        }
        return api
    }
}
