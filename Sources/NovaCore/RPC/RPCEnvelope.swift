import Foundation

/// The request context that travels with every RPC message (Nova's RequestContext subset).
public struct RPCContext: Sendable, Codable, Equatable {
    public var requestID: String
    public var userID: String
    public var projectID: String
    /// The caller's token, as Nova's request context carries it over RPC: what a compute host uses to act for
    /// the user in another service (a server's volumes are made in the user's project with it).
    public var authToken: String?

    public init(requestID: String, userID: String, projectID: String, authToken: String? = nil) {
        self.requestID = requestID
        self.userID = userID
        self.projectID = projectID
        self.authToken = authToken
    }

    public static func service(_ name: String) -> RPCContext {
        RPCContext(requestID: "req-" + UUID().uuidString.lowercased(), userID: name, projectID: "")
    }
}

/// The wire form of an RPC request: `{"method", "version", "context", "args"}`.
struct RPCRequest<Args: Codable>: Codable {
    var method: String
    var version: String
    var context: RPCContext
    var args: Args
}

struct RPCHeader: Codable {
    var method: String
    var version: String
    var context: RPCContext
}

struct RPCReply<Result: Codable>: Codable {
    var result: Result?
    var error: RPCError?
}

struct RPCError: Codable {
    var status: Int
    var name: String
    var message: String
}

/// An empty argument or result.
public struct RPCVoid: Codable, Sendable, Equatable {
    public init() {}
}

enum RPCCoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }
}

/// Sends typed RPC messages over a `MessageBus`.
public struct RPCClient: Sendable {
    public let bus: any MessageBus
    public let timeout: Duration
    public static let version = "1.0"
    /// What the bus throws when a request or its reply may have been lost.
    static let lostMessage: [NovaError.Code] = [.timeout, .serviceUnavailable]

    /// Whether `error` says a message or its answer may have been lost (a timeout, nobody listening, the bus
    /// away), rather than an answer.
    public static func isLostMessage(_ error: any Error) -> Bool {
        (error as? NovaError).map { lostMessage.contains($0.code) } ?? false
    }

    public init(bus: any MessageBus, timeout: Duration = .seconds(60)) {
        self.bus = bus
        self.timeout = timeout
    }

    public func cast<Args: Codable>(topic: String, method: String, args: Args, context: RPCContext) async throws {
        let request = RPCRequest(method: method, version: Self.version, context: context, args: args)
        try await bus.cast(topic: topic, payload: Array(RPCCoding.encoder().encode(request)))
    }

    /// Sends the request and waits for its reply. With `attempts` above 1, a request the bus lost (no reply
    /// within the timeout, no listener, the bus away: a conductor or nats-server restarting) is sent again,
    /// 1, 2, 4... seconds later; only for methods that do no harm when they run twice. Errors the remote
    /// method answered with are never sent again.
    public func call<Args: Codable, Result: Codable>(
        topic: String, method: String, args: Args, context: RPCContext, returning: Result.Type = Result.self,
        attempts: Int = 1
    ) async throws -> Result {
        let request = RPCRequest(method: method, version: Self.version, context: context, args: args)
        let payload = Array(try RPCCoding.encoder().encode(request))
        var attempt = 1
        var replyBytes: [UInt8]
        while true {
            do {
                replyBytes = try await bus.call(topic: topic, payload: payload, timeout: timeout)
                break
            } catch let error as NovaError where attempt < attempts && Self.lostMessage.contains(error.code) {
                try await Task.sleep(for: .seconds(1 << (attempt - 1)))
                attempt += 1
            }
        }
        let reply = try RPCCoding.decoder().decode(RPCReply<Result>.self, from: Data(replyBytes))
        if let error = reply.error {
            throw NovaError(NovaError.Code(status: error.status, name: error.name), error.message)
        }
        guard let result = reply.result else {
            throw NovaError.internalError("RPC \(method) on \(topic) returned neither result nor error")
        }
        return result
    }
}

/// Decodes RPC requests, runs the handler registered for the method, and encodes the reply.
public struct RPCDispatcher: Sendable {
    typealias Handler = @Sendable ([UInt8], RPCContext) async throws -> [UInt8]
    var handlers: [String: Handler] = [:]

    public init() {}

    public mutating func on<Args: Codable & Sendable, Result: Codable & Sendable>(
        _ method: String, _ handler: @escaping @Sendable (Args, RPCContext) async throws -> Result
    ) {
        handlers[method] = { bytes, context in
            let request = try RPCCoding.decoder().decode(RPCRequest<Args>.self, from: Data(bytes))
            let result = try await handler(request.args, context)
            return Array(try RPCCoding.encoder().encode(RPCReply(result: result, error: nil)))
        }
    }

    /// Handles one message; the reply is an error envelope when anything fails.
    public func handle(_ bytes: [UInt8]) async -> [UInt8] {
        do {
            let header = try RPCCoding.decoder().decode(RPCHeader.self, from: Data(bytes))
            guard let handler = handlers[header.method] else {
                throw NovaError.internalError("no RPC method \(header.method)")
            }
            return try await handler(bytes, header.context)
        } catch {
            let rpcError: RPCError
            if let error = error as? NovaError {
                rpcError = RPCError(status: error.code.status, name: error.code.name, message: error.message)
            } else {
                rpcError = RPCError(status: 500, name: "computeFault", message: "\(error)")
            }
            let reply = RPCReply<RPCVoid>(result: nil, error: rpcError)
            return (try? Array(RPCCoding.encoder().encode(reply))) ?? []
        }
    }
}
