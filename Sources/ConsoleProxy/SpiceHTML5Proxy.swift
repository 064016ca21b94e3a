import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOSSL

/// nova-spicehtml5proxy: serves Debian's spice-html5 client and relays its WebSocket to the guest's SPICE
/// server once the token of a `spice-html5` console checks out. spice_auto.html keeps the URL's `?token=` in
/// a cookie and connects to `/websockify` on this host and port; the relay takes the token from either place,
/// with the same origin rule as the noVNC proxy.
public struct SpiceHTML5Proxy: Sendable {
    let authorizer: ConsoleAuthorizer
    /// Debian's `spice-html5` package puts the client here.
    let webRoot: String
    let allowedOrigins: Set<String>
    let logger: Logger

    public init(
        authorizer: ConsoleAuthorizer, webRoot: String = "/usr/share/spice-html5", allowedOrigins: [String] = [],
        logger: Logger
    ) {
        self.authorizer = authorizer
        self.webRoot = webRoot
        self.allowedOrigins = Set(allowedOrigins)
        self.logger = logger
    }

    public func makeApplication(
        host: String, port: Int, tls: TLSConfiguration? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let server = NoVNCProxy.relayingServer(
            authorizer: authorizer, consoleType: "spice-html5", allowedOrigins: allowedOrigins, logger: logger)
        return try NoVNCProxy.webClientApplication(
            webRoot: webRoot, page: "/spice_auto.html", server: server, host: host, port: port, tls: tls,
            name: "nova-spicehtml5proxy", onRunning: onRunning, logger: logger)
    }
}
