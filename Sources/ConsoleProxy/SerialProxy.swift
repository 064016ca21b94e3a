import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOSSL

/// nova-serialproxy: a WebSocket (`ws://host:6083/?token=...`) relayed to the guest's serial port once the
/// token of a `serial` console checks out, bytes both ways, as Nova's serial proxy does for clients such as
/// novaconsole. The same origin rule as the noVNC proxy.
public struct SerialProxy: Sendable {
    let authorizer: ConsoleAuthorizer
    let allowedOrigins: Set<String>
    let logger: Logger

    public init(authorizer: ConsoleAuthorizer, allowedOrigins: [String] = [], logger: Logger) {
        self.authorizer = authorizer
        self.allowedOrigins = Set(allowedOrigins)
        self.logger = logger
    }

    public func makeApplication(
        host: String, port: Int, tls: TLSConfiguration? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router()
        router.get("/") { _, _ -> Response in
            throw HTTPError(.badRequest, message: "A serial console is a WebSocket with ?token=")
        }
        let server = NoVNCProxy.relayingServer(
            authorizer: authorizer, consoleType: "serial", allowedOrigins: allowedOrigins, logger: logger)
        return try NoVNCProxy.application(
            router: router, server: server, host: host, port: port, tls: tls, name: "nova-serialproxy",
            onRunning: onRunning, logger: logger)
    }
}
