import APISupport
import Foundation
import NovaCore
import Synchronization

/// `[keystone_authtoken]` as keystonemiddleware reads it: the genuine Keystone that validates every token, and
/// who this service is when it asks.
public struct KeystoneAuthTokenOptions: Sendable {
    /// `auth_url`, `username`, `password`, `project_name`, `user_domain_name`, `project_domain_name`, `cafile`.
    public var credentials: ServiceCredentials
    /// `www_authenticate_uri`: where a refused client is told to authenticate (`WWW-Authenticate`).
    public var wwwAuthenticateURI: String
    /// `service_token_roles`: a service token (`X-Service-Token`) must hold one of these, when
    /// `service_token_roles_required` is set.
    public var serviceTokenRoles: [String] = ["service"]
    public var serviceTokenRolesRequired = false
    /// `token_cache_time`: seconds a validation (or a refusal) is reused before Keystone is asked again; a revoked
    /// token is refused at the latest this long after its revocation.
    public var cacheTime: TimeInterval = 300
    /// The most validations kept (keystonemiddleware's memcache-less cache is bounded too).
    public var cacheSize = 10_000

    public init(credentials: ServiceCredentials, wwwAuthenticateURI: String) {
        self.credentials = credentials
        self.wwwAuthenticateURI = wwwAuthenticateURI
    }
}

/// Tokens validated by a genuine Keystone (`GET /v3/auth/tokens` with the service's own token), as
/// keystonemiddleware's auth_token does for every OpenStack API, with a bounded cache.
public final class KeystoneTokenValidator: TokenValidator {
    struct Entry: Sendable {
        var credentials: Credentials?
        var cachedAt: Date
        var expiresAt: Date
    }

    public let options: KeystoneAuthTokenOptions
    let session: ServiceSession
    let cache = Mutex<[String: Entry]>([:])
    let validations = Atomic<Int>(0)

    /// How many times Keystone was asked (the cache's hits are not).
    public var validationCount: Int { validations.load(ordering: .relaxed) }

    public init(options: KeystoneAuthTokenOptions, session: ServiceSession) {
        self.options = options
        self.session = session
    }

    public var authenticateURI: String? { options.wwwAuthenticateURI }

    /// Lets the HTTP connections to Keystone go.
    public func shutdown() async { await session.shutdown() }

    public func credentials(forToken token: String) async throws -> Credentials? {
        let now = Date()
        if let entry = cache.withLock({ $0[token] }), now.timeIntervalSince(entry.cachedAt) < options.cacheTime,
            entry.expiresAt > now
        {
            return entry.credentials
        }
        // Keystone's tokens are a few hundred characters; anything far longer is not one (and is not sent on).
        guard !token.isEmpty, token.utf8.count <= 8192 else { return nil }
        validations.add(1, ordering: .relaxed)
        let response = try await session.sendAsService(
            url: PasswordAuthRequest.tokensURL(options.credentials.authURL) + "?nocatalog", .GET,
            headers: [("X-Subject-Token", token)])
        let entry: Entry
        switch response.status {
        case 200:
            guard let body = response.json?["token"], let credentials = Self.credentials(fromValidation: body) else {
                throw NovaError.serviceUnavailable("The identity service answered a validation without a token.")
            }
            let expires = body["expires_at"]?.stringValue.flatMap(Timestamp.parse) ?? now
            entry = Entry(credentials: credentials, cachedAt: now, expiresAt: expires)
        case 404, 401:
            // Unknown, expired or revoked: refused, and that answer is kept as long as a validation is.
            entry = Entry(credentials: nil, cachedAt: now, expiresAt: .distantFuture)
        default:
            throw NovaError.serviceUnavailable(
                "The identity service could not validate the token: \(response.errorMessage)")
        }
        cache.withLock { cache in
            if cache.count >= options.cacheSize {
                cache = cache.filter { now.timeIntervalSince($0.value.cachedAt) < options.cacheTime }
                if cache.count >= options.cacheSize { cache.removeAll() }
            }
            cache[token] = entry
        }
        return entry.credentials
    }

    /// A service token is valid only with one of `service_token_roles` when they are required.
    public func serviceCredentials(forToken token: String) async throws -> Credentials? {
        guard let credentials = try await credentials(forToken: token) else { return nil }
        if options.serviceTokenRolesRequired, !options.serviceTokenRoles.contains(where: credentials.hasRole) {
            return nil
        }
        return credentials
    }

    /// The caller of a token as Keystone's validation describes it.
    public static func credentials(fromValidation token: JSON) -> Credentials? { Credentials(keystoneToken: token) }
}
