import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import NovaCore
import Synchronization

/// Who a service is when it calls another service over HTTP (Nova's `[service_user]` keystoneauth options).
public struct ServiceCredentials: Sendable, Equatable {
    public var authURL: String
    public var username: String
    public var password: String
    public var projectName: String
    public var userDomainName = "Default"
    public var projectDomainName = "Default"
    /// A CA bundle to trust for HTTPS endpoints (`cafile`); nil trusts the system's roots.
    public var caFile: String?
    /// Service type -> URL used instead of the catalog's (`[placement] endpoint_override`, `[glance] api_servers`).
    public var endpointOverrides: [String: String] = [:]

    public init(authURL: String, username: String, password: String, projectName: String) {
        self.authURL = authURL
        self.username = username
        self.password = password
        self.projectName = projectName
    }
}

/// One HTTP answer: status, headers and the whole body.
public struct ServiceResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public var json: JSON? { body.readableBytes == 0 ? nil : JSON.parse(body.readableBytesView) }
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The server's message from any OpenStack error body, else the status.
    public var errorMessage: String {
        if let first = json?.objectValue?.entries.first {
            if let message = first.1["message"]?.stringValue ?? first.1["detail"]?.stringValue { return message }
            if let errors = first.1.arrayValue, let detail = errors.first?["detail"]?.stringValue { return detail }
        }
        return "HTTP \(status)"
    }
}

/// A service's authenticated HTTP connection to the others: a Keystone token (renewed before it expires and
/// when refused) and the endpoints of the token's catalog.
public final class ServiceSession: Sendable {
    struct Auth: Sendable {
        var token: String
        var expiresAt: Date
        var endpoints: [String: String]
    }

    /// No token yet, a token, or the one authentication every caller waits for (so that many concurrent first
    /// calls make one token, not one each).
    enum AuthState: Sendable {
        case none
        case ready(Auth)
        case pending(Task<Auth, any Error>)
    }

    public let credentials: ServiceCredentials
    let http: HTTPClient
    let auth = Mutex<AuthState>(.none)
    let authentications = Atomic<Int>(0)

    /// How many tokens this session has asked Keystone for.
    public var authenticationCount: Int { authentications.load(ordering: .relaxed) }

    public init(credentials: ServiceCredentials) {
        self.credentials = credentials
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        if let caFile = credentials.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            configuration.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async { try? await http.shutdown() }

    /// A call to a service by catalog type, with the service's token (renewed once when refused), or with a
    /// user's `token` (a call made for the user, at the endpoint of the service's catalog).
    public func send(
        _ service: String, _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [],
        body: HTTPClientRequest.Body? = nil, json: JSON? = nil, timeout: TimeAmount = .seconds(60),
        token: String? = nil
    ) async throws -> ServiceResponse {
        for attempt in 0..<2 {
            let current = try await authenticated()
            guard let base = current.endpoints[service] else {
                throw NovaError.serviceUnavailable("The service catalog has no \(service) endpoint.")
            }
            var request = Self.request(base + path, method, token: token ?? current.token, headers: headers, json: json)
            if json == nil, let body { request.body = body }
            let response = try await execute(request, timeout: timeout)
            if response.status == 401, attempt == 0, token == nil {
                forget(current.token)
                continue
            }
            return response
        }
        throw NovaError.serviceUnavailable("Keystone refused the service credentials of \(credentials.username).")
    }

    /// The catalog's URL of a service type.
    public func endpoint(_ service: String) async throws -> String {
        guard let base = try await authenticated().endpoints[service] else {
            throw NovaError.serviceUnavailable("The service catalog has no \(service) endpoint.")
        }
        return base
    }

    /// A call at a full URL with a user's token (not renewed: a refused token is the answer).
    public func send(
        url: String, _ method: HTTPMethod, headers: [(String, String)] = [], json: JSON? = nil,
        body: ByteBuffer? = nil, token: String, timeout: TimeAmount = .seconds(60)
    ) async throws -> ServiceResponse {
        var request = Self.request(url, method, token: token, headers: headers, json: json)
        if json == nil, let body { request.body = .bytes(body) }
        return try await execute(request, timeout: timeout)
    }

    /// A call at a full URL with the service's own token (renewed once when refused): Keystone's own API.
    public func sendAsService(
        url: String, _ method: HTTPMethod, headers: [(String, String)] = [], json: JSON? = nil
    ) async throws -> ServiceResponse {
        for attempt in 0..<2 {
            let current = try await authenticated()
            let response = try await execute(
                Self.request(url, method, token: current.token, headers: headers, json: json), timeout: .seconds(30))
            if response.status == 401, attempt == 0 {
                forget(current.token)
                continue
            }
            return response
        }
        throw NovaError.serviceUnavailable("Keystone refused the service credentials of \(credentials.username).")
    }

    /// A JSON request with a token, as every service call is made.
    static func request(
        _ url: String, _ method: HTTPMethod, token: String, headers: [(String, String)], json: JSON?
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "X-Auth-Token", value: token)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "nova-swift-service")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json.bytes()))
        }
        return request
    }

    /// A call whose answer streams into `handle` (image data) instead of memory.
    public func stream(
        _ service: String, _ path: String, timeout: TimeAmount = .seconds(600),
        into handle: @Sendable (ByteBuffer) throws -> Void
    ) async throws {
        let current = try await authenticated()
        guard let base = current.endpoints[service] else {
            throw NovaError.serviceUnavailable("The service catalog has no \(service) endpoint.")
        }
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "X-Auth-Token", value: current.token)
        let response = try await http.execute(request, timeout: timeout)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw NovaError.serviceUnavailable("GET \(base + path) answered \(response.status.code)")
        }
        for try await chunk in response.body { try handle(chunk) }
    }

    func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> ServiceResponse {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw NovaError.serviceUnavailable("Unable to reach \(request.url): \(error)")
        }
        let body = try await response.body.collect(upTo: 256 << 20)
        return ServiceResponse(status: Int(response.status.code), headers: response.headers, body: body)
    }

    /// The current token, or a new one when there is none or it ends within five minutes; callers that find an
    /// authentication under way wait for it.
    func authenticated() async throws -> Auth {
        enum Next {
            case use(Auth)
            case wait(Task<Auth, any Error>)
        }
        let next: Next = auth.withLock { state in
            switch state {
            case .ready(let current) where current.expiresAt.timeIntervalSinceNow > 300: return .use(current)
            case .pending(let task): return .wait(task)
            case .none, .ready:
                let task = Task { try await self.authenticate() }
                state = .pending(task)
                return .wait(task)
            }
        }
        switch next {
        case .use(let current):
            return current
        case .wait(let task):
            do {
                let fresh = try await task.value
                auth.withLock { state in
                    if case .pending(let running) = state, running == task { state = .ready(fresh) }
                }
                return fresh
            } catch {
                auth.withLock { state in
                    if case .pending(let running) = state, running == task { state = .none }
                }
                throw error
            }
        }
    }

    /// Drops a token Keystone refused, unless another call has already replaced it.
    func forget(_ token: String) {
        auth.withLock { state in
            if case .ready(let current) = state, current.token == token { state = .none }
        }
    }

    func authenticate() async throws -> Auth {
        authentications.add(1, ordering: .relaxed)
        let auth = PasswordAuthRequest(
            authURL: credentials.authURL, username: credentials.username, password: credentials.password,
            projectName: credentials.projectName, userDomainName: credentials.userDomainName,
            projectDomainName: credentials.projectDomainName)
        var request = HTTPClientRequest(url: auth.tokensURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: auth.body.bytes()))
        let response = try await execute(request, timeout: .seconds(30))
        guard response.status == 201, let token = response.headers.first(name: "X-Subject-Token"),
            let scoped = response.json?["token"]
        else {
            throw NovaError.serviceUnavailable(
                "Keystone at \(credentials.authURL) refused \(credentials.username): \(response.errorMessage)")
        }
        var endpoints: [String: String] = [:]
        for service in scoped["catalog"]?.arrayValue ?? [] {
            guard let type = service["type"]?.stringValue,
                let url = service["endpoints"]?.arrayValue?.first(where: {
                    $0["interface"]?.stringValue == "internal"
                })?["url"]?.stringValue
                    ?? service["endpoints"]?.arrayValue?.first?["url"]?.stringValue
            else { continue }
            endpoints[type] = url
        }
        for (type, url) in credentials.endpointOverrides { endpoints[type] = url }
        for (type, url) in endpoints where url.hasSuffix("/") { endpoints[type] = String(url.dropLast()) }
        let expires =
            scoped["expires_at"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) }
            ?? Date().addingTimeInterval(3600)
        return Auth(token: token, expiresAt: expires, endpoints: endpoints)
    }
}
