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
import ServiceClients
import Synchronization

/// The EC2 front end's calls in the process that serves the other APIs: through that process's own router,
/// so each meets the middleware and policy a client meets; a genuine Keystone or Glance over the session.
final class RouterEC2Backend: EC2Backend {
    let responder = Mutex<RouterResponder<NovaRequestContext>?>(nil)
    let session: ServiceSession?
    let keystone: KeystoneAuthTokenOptions?
    let externalImages: Bool

    init(session: ServiceSession?, keystone: KeystoneAuthTokenOptions?, externalImages: Bool) {
        self.session = session
        self.keystone = keystone
        self.externalImages = externalImages
    }

    /// Where each service's paths are on this process's listener.
    static let prefixes: [EC2Service: String] = [
        .compute: "/compute/v2.1", .image: "/image", .network: "/networking", .volume: "/volume/v3",
    ]

    func ec2Token(_ body: JSON) async throws -> EC2Reply {
        if let keystone, let session {
            let url = PasswordAuthRequest.tokensURL(keystone.credentials.authURL)
                .replacingOccurrences(of: "/auth/tokens", with: "/ec2tokens")
            return Self.reply(try await session.sendAsService(url: url, .POST, json: body))
        }
        return try await local(.post, "/identity/v3/ec2tokens", headers: [:], body: body)
    }

    func call(
        _ service: EC2Service, _ method: HTTPRequest.Method, _ path: String, token: String, body: JSON?,
        version: String?
    ) async throws -> EC2Reply {
        if service == .image, externalImages, let session {
            return Self.reply(
                try await session.send(
                    "image", HTTPMethod(rawValue: method.rawValue), path, json: body, token: token))
        }
        var headers: HTTPFields = [.authToken: token]
        if let version { headers[.openStackAPIVersion] = "compute \(version)" }
        return try await local(method, (Self.prefixes[service] ?? "") + path, headers: headers, body: body)
    }

    static func reply(_ response: ServiceResponse) -> EC2Reply {
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name.lowercased()] = value }
        return EC2Reply(status: response.status, json: response.json, headers: headers)
    }

    /// A request through the router, as a client's would go, without a socket.
    func local(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: JSON?) async throws
        -> EC2Reply
    {
        guard let responder = responder.withLock({ $0 }) else {
            throw NovaError.serviceUnavailable("The EC2 front end started before the APIs it calls.")
        }
        var fields = headers
        var buffer = ByteBuffer()
        if let body {
            buffer = ByteBuffer(bytes: body.bytes())
            fields[.contentType] = "application/json"
        }
        fields[.contentLength] = String(buffer.readableBytes)
        fields[.accept] = "application/json"
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: fields),
            body: RequestBody(buffer: buffer))
        let context = NovaRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "nova.ec2")))
        let response = try await responder.respond(to: request, context: context)
        let collected = Collected()
        try await response.body.write(collected)
        let bytes = collected.bytes.withLock { $0 }
        var replyHeaders: [String: String] = [:]
        for field in response.headers { replyHeaders[field.name.canonicalName] = field.value }
        return EC2Reply(
            status: Int(response.status.code), json: bytes.isEmpty ? nil : JSON.parse(bytes), headers: replyHeaders)
    }

    final class Collected: ResponseBodyWriter, Sendable {
        let bytes = Mutex<[UInt8]>([])
        func write(_ buffer: ByteBuffer) async throws {
            bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
