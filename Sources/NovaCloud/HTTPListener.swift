import APISupport
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import NovaConfig
import ServiceLifecycle

/// `[ssl] cert_file` and `key_file` (oslo.service's names): every HTTP listener of the process serves HTTPS.
public struct TLSOptions: Sendable, Equatable {
    public var certFile: String
    public var keyFile: String

    public init(certFile: String, keyFile: String) {
        self.certFile = certFile
        self.keyFile = keyFile
    }

    /// The server side of TLS from the PEM files.
    func serverConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certFile).map { NIOSSLCertificateSource.certificate($0) }
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)))
    }
}

extension CloudOptions {
    /// `[cors]`: `allowed_origin` turns CORS on for every listener of the process.
    mutating func readCORS(_ config: NovaConfig) throws {
        func list(_ key: String) -> [String]? {
            config["cors", key].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        guard let origins = list("allowed_origin"), !origins.isEmpty else {
            cors = nil
            return
        }
        var options = CORSOptions(allowedOrigins: origins)
        options.allowHeaders = list("allow_headers") ?? []
        options.exposeHeaders = list("expose_headers") ?? []
        options.allowMethods = list("allow_methods")?.map { $0.uppercased() } ?? options.allowMethods
        options.allowCredentials = try config.bool("cors", "allow_credentials", default: true)
        options.maxAge = try config["cors", "max_age"].map { _ in try config.int("cors", "max_age", default: 0) }
        cors = options
    }

    mutating func readTLS(_ config: NovaConfig) throws {
        let cert = config["ssl", "cert_file"]
        let key = config["ssl", "key_file"]
        switch (cert, key) {
        case (nil, nil): tls = nil
        case (let cert?, let key?): tls = TLSOptions(certFile: cert, keyFile: key)
        default: throw ConfigError(message: "[ssl] needs both cert_file and key_file to serve HTTPS")
        }
    }

    /// `http` or `https`, as this process's listeners serve.
    public var listenerScheme: String { tls == nil ? "http" : "https" }

    /// `[vnc] novncproxy_base_url`, else the proxy's address with this process's scheme (right for the
    /// all-in-one; an API process whose proxy runs elsewhere with other `[ssl]` needs the option set).
    public var resolvedNoVNCBaseURL: String {
        console.noVNCBaseURL ?? "\(listenerScheme)://\(console.noVNCHost):\(console.noVNCPort)/vnc_lite.html"
    }

    /// `[spice] html5proxy_base_url`, else the proxy's spice_auto.html with this process's scheme.
    public var resolvedSpiceBaseURL: String {
        console.spiceBaseURL ?? "\(listenerScheme)://\(console.spiceHost):\(console.spicePort)/spice_auto.html"
    }

    /// `[serial_console] base_url`, else the serial proxy's address (`wss` with `[ssl]`).
    public var resolvedSerialBaseURL: String {
        console.serialBaseURL ?? "\(tls == nil ? "ws" : "wss")://\(console.serialHost):\(console.serialPort)/"
    }
}

/// The HTTP applications of the cloud's processes: plain HTTP/1.1, or HTTPS from `[ssl]`.
enum HTTPListener {
    static func application(
        responder: some HTTPResponder<NovaRequestContext>, host: String, port: Int, tls: TLSOptions?,
        cors: CORSOptions? = nil, services: [any Service] = [], placementAtRoot: Bool = false, logger: Logger
    ) throws -> some ApplicationProtocol {
        var server = HTTPServerBuilder.http1()
        // Compute URLs with the project in them are routed as the ones without (the middleware checks it); a
        // Placement alone is served at the root too.
        let routed: @Sendable (Request) -> Request = {
            PlacementRootPath.routed(ComputeProjectPath.routed($0), atRoot: placementAtRoot)
        }
        // `[cors]`: a browser's preflight is answered here; an allowed origin's calls say it may read them.
        let respond: @Sendable (Request, NovaRequestContext) async throws -> Response = { request, context in
            guard let cors else { return try await responder.respond(to: routed(request), context: context) }
            if let preflight = cors.preflight(request) { return preflight }
            var response = try await responder.respond(to: routed(request), context: context)
            cors.decorate(&response, for: request)
            return response
        }
        var served = CallbackResponder<NovaRequestContext> { request, context in
            try await respond(request, context)
        }
        if let tls {
            server = try .tls(.http1(), tlsConfiguration: try tls.serverConfiguration())
            // The links and catalog a handler writes name the scheme the client used.
            served = CallbackResponder { request, context in
                var head = request.head
                let proto = HTTPField.Name("X-Forwarded-Proto")!
                if head.headerFields[proto] == nil { head.headerFields[proto] = "https" }
                return try await respond(Request(head: head, body: request.body), context)
            }
        }
        return Application(
            responder: served, server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "nova-swift"),
            services: services, logger: logger)
    }
}
