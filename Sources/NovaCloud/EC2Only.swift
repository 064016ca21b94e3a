import APISupport
import EC2API
import Foundation
import Hummingbird
import Logging
import NovaCore
import NovaDB
import ServiceClients

/// `nova-server ec2`: the EC2 API alone on its own listener (catalog type `ec2`), as OpenStack's ec2-api ran:
/// signatures checked by Keystone's ec2tokens, every other call made over HTTP at the catalog's endpoints
/// with the caller's token; its own EC2 ids and reservations in the shared database.
public enum EC2Only {
    /// Serves until SIGTERM or SIGINT, then lets the session go.
    public static func run(options: CloudOptions, host: String, port: Int, logger: Logger) async throws {
        let credentials = try options.requiredServiceCredentials(for: "ec2")
        let session = ServiceSession(credentials: credentials)
        do {
            try await makeApplication(options: options, session: session, host: host, port: port, logger: logger)
                .runService()
        } catch {
            await session.shutdown()
            throw error
        }
        await session.shutdown()
    }

    static func makeApplication(
        options: CloudOptions, session: ServiceSession, host: String, port: Int, logger: Logger
    ) async throws -> some ApplicationProtocol {
        try FileManager.default.createDirectory(
            atPath: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let database = try await Database.open(connection: options.databaseConnection, logger: logger)
        let router = Router(context: NovaRequestContext.self)
        // The EC2 API checks its own requests' signatures: the middleware only frames them.
        router.add(middleware: OpenStackMiddleware(validator: NoTokens()))
        let backend = RouterEC2Backend(
            session: session,
            identityURL: options.external.keystone?.credentials.authURL ?? session.credentials.authURL,
            remote: [.compute, .image, .network, .volume])
        EC2API(backend: backend, store: EC2Store(database: database), clock: SystemClock()).register(on: router)
        let responder = router.buildResponder()
        backend.responder.withLock { $0 = responder }
        return try HTTPListener.application(
            responder: responder, host: host, port: port, tls: options.tls, cors: options.cors,
            services: [DatabaseCloser(database: database)], logger: logger)
    }

    /// No OpenStack token is valid here: the EC2 API's requests are signed instead.
    struct NoTokens: TokenValidator {
        func credentials(forToken token: String) async throws -> Credentials? { nil }
    }
}
