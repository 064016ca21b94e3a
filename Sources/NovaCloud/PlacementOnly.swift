import APISupport
import Foundation
import Hummingbird
import IdentityService
import Logging
import NovaCore
import NovaDB
import PlacementAPI
import PlacementCore

/// `nova-server placement`: the Placement API alone on its own listener, over the same database. Tokens are
/// checked against the identity tables there, or not at all with `[api] auth_strategy = noauth2`.
public enum PlacementOnly {
    public static func makeApplication(options: CloudOptions, host: String, port: Int, logger: Logger) async throws
        -> some ApplicationProtocol
    {
        try FileManager.default.createDirectory(
            atPath: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let database = try await Database.open(connection: options.databaseConnection, logger: logger)
        let placement = try await PlacementService(
            persistence: PlacementStore(database: database),
            randomizeCandidates: options.randomizeAllocationCandidates)
        let tokens = options.tokenValidator(
            embedded: options.tokenService(store: IdentityStore(database: database), clock: SystemClock()))
        let router = Router(context: NovaRequestContext.self)
        router.add(middleware: OpenStackMiddleware(validator: tokens, placementNoAuth: options.placementNoAuth))
        PlacementAPI(
            service: placement,
            policy: try PolicyEnforcer(defaults: PlacementPolicy.defaults, options: options.policy)
        ).register(on: router)
        return try HTTPListener.application(
            responder: router.buildResponder(), host: host, port: port, tls: options.tls, cors: options.cors,
            services: [DatabaseCloser(database: database)], placementAtRoot: true, logger: logger)
    }
}
