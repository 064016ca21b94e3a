import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL

/// nova-novncproxy: serves the noVNC web client and relays its WebSocket to the guest's VNC server once the
/// token (`?token=` in the WebSocket URL, or the `token` cookie) checks out. The Origin must name this host
/// (or one of `allowedOrigins`), as Nova's proxy requires; a client that sends no Origin is not a browser
/// and is let through.
public struct NoVNCProxy: Sendable {
    let authorizer: ConsoleAuthorizer
    /// Debian's `novnc` package puts the client here.
    let webRoot: String
    let allowedOrigins: Set<String>
    let logger: Logger

    public init(
        authorizer: ConsoleAuthorizer, webRoot: String = "/usr/share/novnc", allowedOrigins: [String] = [],
        logger: Logger
    ) {
        self.authorizer = authorizer
        self.webRoot = webRoot
        self.allowedOrigins = Set(allowedOrigins)
        self.logger = logger
    }

    /// The proxy's listener: HTTP, or HTTPS and `wss://` with a TLS configuration.
    public func makeApplication(
        host: String, port: Int, tls: TLSConfiguration? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        try Self.webClientApplication(
            webRoot: webRoot, page: "/vnc_lite.html", server: upgradingServer(), host: host, port: port, tls: tls,
            name: "nova-novncproxy", onRunning: onRunning, logger: logger)
    }

    /// A proxy that serves a browser console client from `webRoot` (`/` leads to its `page`) beside the
    /// WebSocket relay of `server`.
    static func webClientApplication(
        webRoot: String, page: String, server: HTTPServerBuilder, host: String, port: Int, tls: TLSConfiguration?,
        name: String, onRunning: @escaping @Sendable (Int) async -> Void, logger: Logger
    ) throws -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: FileMiddleware(webRoot, searchForIndexHtml: false, logger: logger))
        router.get("/") { _, _ in Response(status: .found, headers: [.location: page]) }
        return try application(
            router: router, server: server, host: host, port: port, tls: tls, name: name, onRunning: onRunning,
            logger: logger)
    }

    /// A console proxy's listener: `server` (with its WebSocket upgrade) over HTTP, or HTTPS with `tls`.
    static func application(
        router: Router<BasicRequestContext>, server: HTTPServerBuilder, host: String, port: Int,
        tls: TLSConfiguration?, name: String, onRunning: @escaping @Sendable (Int) async -> Void, logger: Logger
    ) throws -> some ApplicationProtocol {
        Application(
            router: router, server: try tls.map { try .tls(server, tlsConfiguration: $0) } ?? server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// HTTP/1.1 that upgrades a console request with a valid token to a WebSocket relayed to the guest's VNC.
    func upgradingServer() -> HTTPServerBuilder {
        Self.relayingServer(
            authorizer: authorizer, consoleType: "novnc", allowedOrigins: allowedOrigins, logger: logger)
    }

    /// HTTP/1.1 that upgrades a request with a valid token of `consoleType` to a WebSocket whose binary frames
    /// are relayed both ways to the guest's console port (VNC, or a serial port).
    static func relayingServer(
        authorizer: ConsoleAuthorizer, consoleType: String, allowedOrigins: Set<String>, logger: Logger
    ) -> HTTPServerBuilder {
        .http1WebSocketUpgrade(configuration: .init(maxFrameSize: 1 << 20)) { request, _, _ in
            guard let token = Self.token(request) else { return .dontUpgrade }
            guard Self.originAllowed(request, allowedOrigins) else {
                logger.warning("console connection refused: origin \(request.headerFields[.origin] ?? "")")
                throw HTTPError(.forbidden, message: "Origin not allowed")
            }
            let target: ConsoleTarget
            do {
                target = try await authorizer.target(token: token, consoleType: consoleType)
            } catch {
                throw HTTPError(.forbidden, message: "The token is invalid or has expired")
            }
            logger.info("console of \(target.instanceUUID): relaying to \(target.host):\(target.port)")
            return .upgrade(Self.chosenSubprotocol(request)) { inbound, outbound, _ in
                let guest = try await TCPRelay.connect(target)
                try await guest.executeThenClose { guestIn, guestOut in
                    try await TCPRelay.pump([
                        { for try await frame in inbound { try await guestOut.write(frame.data) } },
                        { for try await bytes in guestIn { try await outbound.write(.binary(bytes)) } },
                    ])
                }
            }
        }
    }

    /// websockify's answer to a client that asks for subprotocols (spice-html5 asks for `binary`): `binary`,
    /// which is what every frame is. A browser drops a connection whose answer names none it asked for.
    static func chosenSubprotocol(_ request: HTTPRequest) -> HTTPFields {
        let asked = (request.headerFields[.secWebSocketProtocol] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        return asked.contains("binary") ? [.secWebSocketProtocol: "binary"] : [:]
    }

    /// `token` from the query (`/?token=...`), else from the `token` cookie.
    static func token(_ request: HTTPRequest) -> String? {
        let path = request.path ?? ""
        if let query = path.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") where pair.hasPrefix("token=") {
                return String(pair.dropFirst("token=".count)).removingPercentEncoding
            }
        }
        for cookie in (request.headerFields[.cookie] ?? "").split(separator: ";") {
            let trimmed = cookie.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("token=") { return String(trimmed.dropFirst("token=".count)) }
        }
        return nil
    }

    /// Nova's origin check: the Origin's host must be the Host header's host, or an allowed origin.
    static func originAllowed(_ request: HTTPRequest, _ allowed: Set<String>) -> Bool {
        guard let origin = request.headerFields[.origin] else { return true }
        guard let originHost = URLComponents(string: origin)?.host else { return false }
        if allowed.contains(originHost) { return true }
        let host = request.authority ?? ""
        let hostName =
            host.hasPrefix("[")
            ? String(host.prefix { $0 != "]" }.dropFirst()) : String(host.split(separator: ":").first ?? "")
        return originHost == hostName
    }
}
