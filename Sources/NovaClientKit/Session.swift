import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import NovaCore
import Synchronization

/// An authenticated connection to the cloud: a token (from the cache or Keystone) and the service URLs
/// from the catalog.
public final class Session: Sendable {
    public let settings: ClientSettings
    let http: HTTPClient
    let cache: TokenCache?
    let auth: Mutex<CachedAuth?>

    public init(settings: ClientSettings, cache: TokenCache?) throws {
        self.settings = try settings.validated()
        var configuration = HTTPClient.Configuration()
        if let cacert = settings.cacert {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(cacert)
            configuration.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.cache = settings.cacheTokens ? cache : nil
        auth = Mutex(nil)
    }

    public func close() async {
        try? await http.shutdown()
    }

    /// The current authentication, from the cache or by asking Keystone.
    func authenticated() async throws -> CachedAuth {
        if let current = auth.withLock({ $0 }) { return current }
        if let cached = cache?.load(for: settings) {
            auth.withLock { $0 = cached }
            return cached
        }
        let fresh = try await authenticate()
        cache?.store(fresh, for: settings)
        auth.withLock { $0 = fresh }
        return fresh
    }

    func authenticate() async throws -> CachedAuth {
        let request = PasswordAuthRequest(
            authURL: settings.authURL ?? "", username: settings.username ?? "", password: settings.password ?? "",
            projectName: settings.projectName ?? "", userDomainName: settings.userDomainName,
            projectDomainName: settings.projectDomainName)
        let (status, headers, json) = try await send(
            .POST, request.tokensURL, token: nil, body: request.body, microversion: false)
        guard status == 201, let token = headers.first(name: "X-Subject-Token"), let scoped = json?["token"] else {
            throw Self.error(status: status, headers: headers, json: json, fallback: "authentication failed")
        }
        func endpoint(_ type: String) -> String? {
            scoped["catalog"]?.arrayValue?.first { $0["type"]?.stringValue == type }?["endpoints"]?.arrayValue?
                .first { $0["interface"]?.stringValue == "public" }?["url"]?.stringValue
        }
        guard let compute = endpoint("compute") else {
            throw ClientError("The service catalog has no public compute endpoint.")
        }
        let expires = scoped["expires_at"]?.stringValue.flatMap(Self.parseDate) ?? Date().addingTimeInterval(3000)
        return CachedAuth(
            token: token, expiresAt: expires, computeURL: compute, imageURL: endpoint("image"),
            projectID: scoped["project"]?["id"]?.stringValue ?? "", userID: scoped["user"]?["id"]?.stringValue ?? "")
    }

    static func parseDate(_ text: String) -> Date? {
        let trimmed = text.split(separator: ".").first.map { String($0) + "Z" } ?? text
        return try? Date(trimmed.hasSuffix("ZZ") ? String(trimmed.dropLast()) : trimmed, strategy: .iso8601)
    }

    /// A compute API call; nil for an empty body. A refused cached token is replaced once.
    @discardableResult
    public func compute(_ method: HTTPMethod, _ path: String, body: JSON? = nil) async throws -> JSON? {
        try await call(method, path, body: body) { $0.computeURL }
    }

    /// An image API call (`/v2/...`).
    @discardableResult
    public func image(_ method: HTTPMethod, _ path: String) async throws -> JSON? {
        try await call(method, path, body: nil) { auth in
            guard let url = auth.imageURL else { throw ClientError("The service catalog has no image endpoint.") }
            return url
        }
    }

    public var projectID: String {
        get async throws { try await authenticated().projectID }
    }

    func call(_ method: HTTPMethod, _ path: String, body: JSON?, base: (CachedAuth) throws -> String) async throws
        -> JSON?
    {
        for attempt in 0..<2 {
            let current = try await authenticated()
            let (status, headers, json) = try await send(
                method, try base(current) + path, token: current.token, body: body, microversion: true)
            if status == 401, attempt == 0 {
                cache?.remove(for: settings)
                auth.withLock { $0 = nil }
                continue
            }
            guard (200..<300).contains(status) else {
                throw Self.error(status: status, headers: headers, json: json, fallback: "\(method) \(path) failed")
            }
            return json
        }
        throw ClientError("The cloud refused the credentials.", status: 401)
    }

    func send(_ method: HTTPMethod, _ url: String, token: String?, body: JSON?, microversion: Bool) async throws
        -> (Int, HTTPHeaders, JSON?)
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "nova-swift-client")
        if let token { request.headers.add(name: "X-Auth-Token", value: token) }
        if microversion {
            request.headers.add(name: "OpenStack-API-Version", value: "compute \(settings.computeAPIVersion)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.bytes()))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(120))
        } catch {
            throw ClientError("Unable to reach \(url): \(error)")
        }
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return (
            Int(response.status.code), response.headers,
            bytes.readableBytes == 0 ? nil : JSON.parse(bytes.readableBytesView)
        )
    }

    /// The server's own words from any of the OpenStack error formats.
    static func error(status: Int, headers: HTTPHeaders, json: JSON?, fallback: String) -> ClientError {
        var message = fallback
        if let object = json?.objectValue, let first = object.entries.first {
            message = first.1["message"]?.stringValue ?? first.1["detail"]?.stringValue ?? message
        }
        return ClientError(
            message, status: status,
            requestID: headers.first(name: "X-OpenStack-Request-Id") ?? headers.first(name: "X-Compute-Request-Id"))
    }
}
