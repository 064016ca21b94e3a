import APISupport
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NovaCore

/// A service's own routes, called in this process without a socket: how Nova's proxy APIs reach the
/// networking or block-storage service as the user when they run in one process. The same handlers and
/// policy as over HTTP; an error comes back as the NovaError the handler threw.
public struct InProcessRoutes: Sendable {
    let responder: RouterResponder<NovaRequestContext>
    /// What every path is under (`/networking/v2.0`).
    let base: String
    let prepare: @Sendable (inout NovaRequestContext) -> Void

    public init(
        base: String, prepare: @escaping @Sendable (inout NovaRequestContext) -> Void = { _ in },
        register: (Router<NovaRequestContext>) -> Void
    ) {
        let router = Router(context: NovaRequestContext.self)
        register(router)
        responder = router.buildResponder()
        self.base = base
        self.prepare = prepare
    }

    public func call(_ method: HTTPRequest.Method, _ path: String, body: JSON?, as user: Credentials) async throws
        -> JSON?
    {
        var headers = HTTPFields()
        var buffer = ByteBuffer()
        if let body {
            buffer = ByteBuffer(bytes: body.bytes())
            headers[.contentType] = "application/json"
            headers[.contentLength] = String(buffer.readableBytes)
        }
        let request = Request(
            head: HTTPRequest(
                method: method, scheme: "http", authority: "localhost", path: base + path,
                headerFields: headers),
            body: RequestBody(buffer: buffer))
        var context = NovaRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "in-process")))
        prepare(&context)
        context.credentials = user
        context.requestID = "req-" + UUID().uuidString.lowercased()
        let prepared = context
        return try await InProcessAnswer.gather { try await responder.respond(to: request, context: prepared) }.1.json
    }
}
