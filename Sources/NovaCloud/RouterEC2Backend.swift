import APISupport
import EC2API
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NovaCore
import NovaDB
import ServiceClients
import Synchronization

/// The EC2 front end's calls: in the process that serves the other APIs, through that process's own router, so
/// each meets the middleware and policy a client meets; services that run elsewhere (a genuine Keystone or
/// Glance, or every service for `nova-server ec2` alone) over the session, at their catalog endpoints.
final class RouterEC2Backend: EC2Backend {
    let responder = Mutex<RouterResponder<NovaRequestContext>?>(nil)
    let session: ServiceSession?
    /// The Keystone that checks signatures over HTTP (nil: this process's own identity API).
    let identityURL: String?
    /// The services called over the session rather than through the router.
    let remote: Set<EC2Service>

    init(session: ServiceSession?, identityURL: String?, remote: Set<EC2Service>) {
        self.session = session
        self.identityURL = identityURL
        self.remote = remote
    }

    /// Where each service's paths are on this process's listener.
    static let prefixes: [EC2Service: String] = [
        .compute: "/compute/v2.1", .image: "/image", .network: "/networking", .volume: "/volume/v3",
    ]

    /// The catalog types of the services called over the session.
    static let catalogTypes: [EC2Service: String] = [
        .compute: "compute", .image: "image", .network: "network", .volume: "block-storage",
    ]

    func ec2Token(_ body: JSON) async throws -> EC2Reply {
        if let identityURL, let session {
            let url = PasswordAuthRequest.tokensURL(identityURL).replacingOccurrences(
                of: "/auth/tokens", with: "/ec2tokens")
            return Self.reply(try await session.sendAsService(url: url + "?nocatalog", .POST, json: body))
        }
        // The front end reads only the token's user, project and roles: the catalog would be built for nothing.
        return try await local(.post, "/identity/v3/ec2tokens?nocatalog", headers: [:], body: body)
    }

    func call(
        _ service: EC2Service, _ method: HTTPRequest.Method, _ path: String, token: String, body: JSON?,
        version: String?, contentType: String?
    ) async throws -> EC2Reply {
        if remote.contains(service), let session {
            var base = try await session.endpoint(Self.catalogTypes[service] ?? service.rawValue)
            // The block-storage endpoint names the service's own project; the paths here name the caller's.
            if service == .volume, let last = base.split(separator: "/").last, Self.isProjectID(last) {
                base = String(base.dropLast(last.count + 1))
            }
            var headers: [(String, String)] = []
            if let version { headers.append(("OpenStack-API-Version", "compute \(version)")) }
            let method = HTTPMethod(rawValue: method.rawValue)
            guard let body, let contentType else {
                return Self.reply(
                    try await session.send(url: base + path, method, headers: headers, json: body, token: token))
            }
            headers.append(("Content-Type", contentType))
            return Self.reply(
                try await session.send(
                    url: base + path, method, headers: headers, body: ByteBuffer(bytes: body.bytes()), token: token))
        }
        var headers: HTTPFields = [.authToken: token]
        if let version { headers[.openStackAPIVersion] = "compute \(version)" }
        return try await local(
            method, (Self.prefixes[service] ?? "") + path, headers: headers, body: body, contentType: contentType)
    }

    /// A Keystone project id: 32 hex digits, or a UUID.
    static func isProjectID(_ text: Substring) -> Bool {
        (text.count == 32 || text.count == 36) && text.allSatisfy { $0.isHexDigit || $0 == "-" }
    }

    static func reply(_ response: ServiceResponse) -> EC2Reply {
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name.lowercased()] = value }
        return EC2Reply(status: response.status, json: response.json, headers: headers)
    }

    /// A request through the router, as a client's would go, without a socket.
    func local(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: JSON?, contentType: String? = nil
    ) async throws -> EC2Reply {
        guard let responder = responder.withLock({ $0 }) else {
            throw NovaError.serviceUnavailable("The EC2 front end started before the APIs it calls.")
        }
        var fields = headers
        var buffer = ByteBuffer()
        if let body {
            buffer = ByteBuffer(bytes: body.bytes())
            fields[.contentType] = contentType ?? "application/json"
        }
        fields[.contentLength] = String(buffer.readableBytes)
        fields[.accept] = "application/json"
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: fields),
            body: RequestBody(buffer: buffer))
        let context = NovaRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "nova.ec2")))
        let (response, answer) = try await InProcessAnswer.gather {
            try await responder.respond(to: request, context: context)
        }
        var replyHeaders: [String: String] = [:]
        for field in response.headers { replyHeaders[field.name.canonicalName] = field.value }
        return EC2Reply(status: Int(response.status.code), json: answer.json, headers: replyHeaders)
    }
}

extension CloudParts {
    /// The router's responder with the EC2 front end registered on it, calling the APIs registered before it
    /// through that same responder (a genuine Keystone or Glance over the session).
    static func responderWithEC2(
        _ router: Router<NovaRequestContext>, options: CloudOptions, session: ServiceSession?, database: Database,
        clock: any WallClock
    ) -> RouterResponder<NovaRequestContext> {
        let backend = RouterEC2Backend(
            session: session, identityURL: options.external.keystone?.credentials.authURL,
            remote: options.embeddedImages ? [] : [.image])
        EC2API(backend: backend, store: EC2Store(database: database), clock: clock).register(on: router)
        let responder = router.buildResponder()
        backend.responder.withLock { $0 = responder }
        return responder
    }
}
