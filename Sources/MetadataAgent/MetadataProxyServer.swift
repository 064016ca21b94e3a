import NIOCore
import NIOHTTP1
import NIOPosix

/// A guest's request as the proxy received it.
public struct ProxiedRequest: Sendable {
    public var method: String
    public var uri: String
    /// The guest's address.
    public var source: String
    public var contentType: String?
    public var body: [UInt8]
}

/// What the proxy answers the guest.
public struct ProxiedAnswer: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String = "text/plain; charset=UTF-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// The HTTP server at 169.254.169.254:80 in a network's namespace (haproxy's part in ovn-metadata-agent):
/// each request goes to `forward` with the guest's address, one request per connection.
final class MetadataProxyServer: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Serves on the listening socket `descriptor` (which the server then owns).
    static func serve(
        descriptor: Int32, forward: @escaping @Sendable (ProxiedRequest) async -> ProxiedAnswer
    ) async throws -> MetadataProxyServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(MetadataProxyHandler(forward: forward))
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .withBoundSocket(descriptor).get()
        return MetadataProxyServer(channel: channel)
    }

    func close() async {
        try? await channel.close()
    }
}

final class MetadataProxyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Guests ask for small things; a body beyond this is refused.
    static let maxBodyBytes = 64 * 1024

    let forward: @Sendable (ProxiedRequest) async -> ProxiedAnswer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(forward: @escaping @Sendable (ProxiedRequest) async -> ProxiedAnswer) {
        self.forward = forward
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            tooLarge = false
        case .body(let buffer):
            if body.count + buffer.readableBytes > Self.maxBodyBytes {
                tooLarge = true
            } else {
                body += buffer.readableBytesView
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let channel = context.channel
            if tooLarge {
                Self.respond(ProxiedAnswer(status: 413, body: Array("Request body too large".utf8)), on: channel)
                return
            }
            let request = ProxiedRequest(
                method: head.method.rawValue, uri: head.uri,
                source: context.remoteAddress?.ipAddress ?? "", contentType: head.headers.first(name: "content-type"),
                body: body)
            let forward = self.forward
            Task {
                let answer = await forward(request)
                Self.respond(answer, on: channel)
            }
        }
    }

    static func respond(_ answer: ProxiedAnswer, on channel: any Channel) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: String(answer.body.count))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        channel.eventLoop.execute {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: answer.body))), promise: nil)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }
}
