import APISupport
import Foundation
import Hummingbird
import IdentityService
import ImageService
import Logging
import NovaCore
import NovaDB
import ServiceClients
import VolumeAPI
import VolumeCore

/// `nova-server volume`: the block-storage API and its worker alone on their own listener, over the same
/// database (tokens checked against the identity tables there); images through Glance's HTTP API and Nova's
/// events through its API when `[service_user]` is set, else from this data directory's image files.
public enum VolumeOnly {
    /// Serves until SIGTERM or SIGINT, then lets the service session go.
    public static func run(options: CloudOptions, host: String, port: Int, logger: Logger) async throws {
        let session = options.scaleOut.credentials.map { ServiceSession(credentials: $0) }
        do {
            try await makeApplication(options: options, session: session, host: host, port: port, logger: logger)
                .runService()
        } catch {
            await session?.shutdown()
            throw error
        }
        await session?.shutdown()
    }

    static func makeApplication(
        options: CloudOptions, session: ServiceSession?, host: String, port: Int, logger: Logger
    ) async throws -> some ApplicationProtocol {
        try FileManager.default.createDirectory(
            atPath: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let database = try await Database.open(connection: options.databaseConnection, logger: logger)
        let identity = IdentityStore(database: database)
        let clock = SystemClock()
        let tokens = options.tokenValidator(embedded: options.tokenService(store: identity, clock: clock))
        let router = Router(context: NovaRequestContext.self)
        router.add(middleware: OpenStackMiddleware(validator: tokens))
        let images: any VolumeImageService =
            if let session {
                RemoteVolumeImages(session: session)
            } else {
                LocalVolumeImages(
                    store: ImageStore(database: database),
                    files: try ImageFileStore(directory: options.dataDirectory + "/images"), clock: clock)
            }
        let (api, worker) = try await CloudParts.volumeAPI(
            options: options, database: database, images: images,
            nova: session.map { RemoteServerEvents(session: $0) }, clock: clock)
        api.register(on: router)
        return try HTTPListener.application(
            responder: router.buildResponder(), host: host, port: port, tls: options.tls, cors: options.cors,
            services: [DatabaseCloser(database: database), worker],
            logger: logger)
    }
}
