import APISupport
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NovaCore
import Synchronization

/// The networking API's own routes, called in this process without a socket: how Nova's proxy APIs reach
/// the networking service as the user when both run in one process. The same handlers and policy as over
/// HTTP; an error comes back as the NovaError the handler threw.
struct InProcessRoutes: Sendable {
    let responder: RouterResponder<NovaRequestContext>

    init(api: NetworkAPI) {
        let router = Router(context: NovaRequestContext.self)
        api.register(on: router)
        responder = router.buildResponder()
    }

    func call(_ method: HTTPRequest.Method, _ path: String, body: JSON?, as user: Credentials) async throws -> JSON? {
        var headers = HTTPFields()
        var buffer = ByteBuffer()
        if let body {
            buffer = ByteBuffer(bytes: body.bytes())
            headers[.contentType] = "application/json"
            headers[.contentLength] = String(buffer.readableBytes)
        }
        let request = Request(
            head: HTTPRequest(
                method: method, scheme: "http", authority: "localhost", path: "/\(NetworkAPI.prefix)/v2.0" + path,
                headerFields: headers),
            body: RequestBody(buffer: buffer))
        var context = NovaRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "neutron")))
        context.credentials = user
        context.requestID = "req-" + UUID().uuidString.lowercased()
        let response = try await responder.respond(to: request, context: context)
        let collected = Collected()
        try await response.body.write(collected)
        let bytes = collected.bytes.withLock { $0 }
        return bytes.isEmpty ? nil : JSON.parse(bytes)
    }

    /// A response body gathered whole.
    final class Collected: ResponseBodyWriter, Sendable {
        let bytes = Mutex<[UInt8]>([])
        func write(_ buffer: ByteBuffer) async throws {
            bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
