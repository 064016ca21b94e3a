import APISupport
import Crypto
import Foundation
import NovaCore
import NovaDB
import Synchronization

/// Issues, validates and revokes tokens. Only a SHA-256 of each token is stored; validated tokens are cached
/// in memory so a request costs no database read for its token.
///
/// The guarantees: a token never outlives the `expires_at` it was issued with, and one issued from another
/// token (`"methods": ["token"]`) keeps the first one's expiry and audit chain, as Keystone does, so a stolen
/// token cannot be renewed. A revocation (or a disabled user or project) takes effect at once in the
/// process that made it and within `cacheLifetime` (`[token] cache_time`) in every other process, which
/// reads the token's row again once its cache entry is that old.
public final class TokenService: TokenValidator {
    let store: IdentityStore
    let clock: any WallClock
    let lifetime: TimeInterval
    let cacheLifetime: TimeInterval

    struct CacheEntry {
        var credentials: Credentials
        var expiresAt: Date
        var cachedAt: Date
        var applicationCredentialID: String?
    }

    private let cache = Mutex<[String: CacheEntry]>([:])

    /// A token answered for a key pair (`handedToken(for:)`), with the body it was answered with.
    struct HandedToken {
        var token: String
        var hash: String
        var body: JSON
        var handedAt: Date
    }

    private let handed = Mutex<[String: HandedToken]>([:])

    public init(
        store: IdentityStore, clock: any WallClock, lifetime: TimeInterval = 3600, cacheLifetime: TimeInterval = 30
    ) {
        self.store = store
        self.clock = clock
        self.lifetime = lifetime
        self.cacheLifetime = cacheLifetime
    }

    static func hash(_ token: String) -> String {
        StableHash.hex(SHA256.hash(data: Array(token.utf8)))
    }

    /// A new random token for `userID`, scoped to `projectID` ("" for unscoped). With `from`, the token that
    /// authenticated this request (token authentication): the new one expires with it and joins its audit chain.
    public func issue(
        userID: String, projectID: String, from parent: TokenRecord? = nil, systemScope: String? = nil,
        applicationCredential: ApplicationCredentialRecord? = nil
    ) async throws -> (token: String, record: TokenRecord) {
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let token = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let now = clock.now
        let auditBytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        var record = TokenRecord(
            userID: userID, projectID: projectID, issuedAt: now, expiresAt: now.addingTimeInterval(lifetime),
            auditID: String(Data(auditBytes).base64EncodedString().prefix(22)), systemScope: systemScope,
            applicationCredentialID: applicationCredential?.id ?? parent?.applicationCredentialID)
        if let parent {
            record.expiresAt = min(record.expiresAt, parent.expiresAt)
            record.auditChainID = parent.auditChainID ?? parent.auditID
        }
        // A token of an application credential ends when the credential does.
        if let ends = applicationCredential?.expiresAt { record.expiresAt = min(record.expiresAt, ends) }
        try await store.storeToken(hash: Self.hash(token), record)
        return (token, record)
    }

    public func record(forToken token: String) async throws -> TokenRecord? {
        try await store.token(hash: Self.hash(token), now: clock.now)
    }

    public func credentials(forToken token: String) async throws -> Credentials? {
        let key = Self.hash(token)
        let now = clock.now
        if let entry = cache.withLock({ $0[key] }), entry.expiresAt > now,
            now.timeIntervalSince(entry.cachedAt) < cacheLifetime
        {
            return entry.credentials
        }
        guard let record = try await store.token(hash: key, now: now),
            let user = try await store.user(id: record.userID), user.enabled,
            try await domainEnabled(user.domainID)
        else {
            cache.withLock { _ = $0.removeValue(forKey: key) }
            return nil
        }
        var projectName = ""
        var roles: [String] = []
        var accessRules: [AccessRule]?
        if record.systemScope != nil {
            roles = try await store.effectiveSystemRoles(userID: user.id).map(\.name)
        } else if !record.projectID.isEmpty {
            guard let project = try await store.project(id: record.projectID), project.enabled else { return nil }
            projectName = project.name
            guard let scoped = try await self.roles(of: record, now: now) else { return nil }
            roles = scoped.roles.map(\.name)
            accessRules = scoped.accessRules
        }
        let credentials = Credentials(
            userID: user.id, userName: user.name, projectID: record.projectID, projectName: projectName, roles: roles,
            systemScope: record.systemScope, accessRules: accessRules)
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[key] = CacheEntry(
                credentials: credentials, expiresAt: record.expiresAt, cachedAt: now,
                applicationCredentialID: record.applicationCredentialID)
        }
        return credentials
    }

    /// Keeps what a token stands for, as a validation would read it, when the caller has just read it all
    /// (issuing or showing the token): the token's first use then reads nothing.
    func remember(token: String, record: TokenRecord, credentials: Credentials) {
        let now = clock.now
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[Self.hash(token)] = CacheEntry(
                credentials: credentials, expiresAt: record.expiresAt, cachedAt: now,
                applicationCredentialID: record.applicationCredentialID)
        }
    }

    /// The token last answered for `key` (an EC2 key pair, and how the answer was asked for) and its body, while
    /// it may be answered again: handed out less than `cacheLifetime` ago, still in this process's validation
    /// cache (not revoked, its user and project not disabled since) and with at least half its lifetime left.
    /// Each signed EC2 request asks Keystone for a token: the requests of a burst then share one, which is no
    /// staler than the validation cache that every token's use already goes through.
    func handedToken(for key: String) -> (token: String, body: JSON)? {
        let now = clock.now
        guard let entry = handed.withLock({ $0[key] }), now.timeIntervalSince(entry.handedAt) < cacheLifetime,
            let validation = cache.withLock({ $0[entry.hash] }),
            validation.expiresAt.timeIntervalSince(now) > lifetime / 2
        else { return nil }
        return (entry.token, entry.body)
    }

    /// Keeps `token`, just answered for `key` with `body`, for `handedToken(for:)`.
    func hand(_ token: String, body: JSON, for key: String) {
        let entry = HandedToken(token: token, hash: Self.hash(token), body: body, handedAt: clock.now)
        handed.withLock { handed in
            if handed.count > 10_000 { handed.removeAll() }
            handed[key] = entry
        }
    }

    /// The roles of a project-scoped token: the user's on the project with those they imply, or for a token
    /// of an application credential, the credential's roles that the user still holds there, and its access
    /// rules. Nil when the token no longer stands: its credential is gone or expired, or the user holds none
    /// of the credential's roles any more.
    func roles(of record: TokenRecord, now: Date) async throws -> (roles: [RoleRecord], accessRules: [AccessRule]?)? {
        let held = try await store.effectiveRoles(userID: record.userID, projectID: record.projectID)
        guard let credentialID = record.applicationCredentialID else { return (held, nil) }
        guard let credential = try await store.applicationCredential(id: credentialID),
            credential.expiresAt.map({ $0 > now }) ?? true
        else { return nil }
        let roles = held.filter { credential.roleIDs.contains($0.id) }
        guard !roles.isEmpty else { return nil }
        let rules = credential.accessRules.map { AccessRule(service: $0.service, path: $0.path, method: $0.method) }
        return (roles, rules.isEmpty ? nil : rules)
    }

    /// A disabled domain's users hold no working token (Default cannot be disabled: no query for it).
    func domainEnabled(_ id: String) async throws -> Bool {
        if id == IdentityStore.defaultDomainID { return true }
        return try await store.domains().first { $0.id == id }?.enabled == true
    }

    /// Every token of the user stops working here at once, and in other processes within the cache lifetime.
    public func revokeAll(userID: String) async throws {
        forget { $0.userID == userID }
        try await store.revokeTokens(userID: userID)
    }

    /// Drops cached validations (a user or project just disabled): the next use reads the token's row again.
    public func forget(where matches: (Credentials) -> Bool) {
        cache.withLock { entries in entries = entries.filter { !matches($0.value.credentials) } }
    }

    /// The tokens of a deleted application credential stop working here at once (the store revoked them).
    public func forget(applicationCredentialID id: String) {
        cache.withLock { entries in entries = entries.filter { $0.value.applicationCredentialID != id } }
    }

    public func revoke(_ token: String) async throws -> Bool {
        let key = Self.hash(token)
        cache.withLock { _ = $0.removeValue(forKey: key) }
        return try await store.revokeToken(hash: key)
    }
}
