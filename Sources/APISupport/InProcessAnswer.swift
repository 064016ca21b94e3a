import Hummingbird
import NIOCore
import NovaCore
import Synchronization

/// What a caller in this process gathers of an answer: its value when the handler answered JSON, or its bytes.
/// A front end that calls the APIs through their router (the EC2 API, Nova's proxies to the networking
/// service) takes a JSON answer as the value, without the text in between: it otherwise wrote a thousand
/// servers as JSON only to read them back.
public final class InProcessAnswer: ResponseBodyWriter, Sendable {
    /// Set while a request runs for a caller whose writer takes values: `Response.json` then leaves its value
    /// unwritten until a writer asks, so any other writer (a middleware's, a socket's) still gets the text.
    @TaskLocal public static var valuesTaken = false

    private let state = Mutex<(json: JSON?, bytes: [UInt8])>((nil, []))

    public init() {}

    public func take(_ json: JSON) {
        state.withLock { $0.json = json }
    }

    public func write(_ buffer: ByteBuffer) async throws {
        state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
    }

    public func finish(_ trailingHeaders: HTTPFields?) async throws {}

    /// The answer's JSON: the value handed over, or its bytes parsed (nil when empty or not JSON).
    public var json: JSON? {
        state.withLock { state in
            state.json ?? (state.bytes.isEmpty ? nil : JSON.parse(state.bytes))
        }
    }

    /// Runs `respond` so that JSON answers come as values, and gathers its answer.
    public static func gather(_ respond: () async throws -> Response) async throws -> (Response, InProcessAnswer) {
        let response = try await $valuesTaken.withValue(true) { try await respond() }
        let answer = InProcessAnswer()
        try await response.body.write(answer)
        return (response, answer)
    }
}
