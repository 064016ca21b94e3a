import Crypto
import Foundation
import NovaCore

/// A scoped token and where the services are, kept in a file (mode 0600) until shortly before the token
/// expires, so a script of many `nova` commands authenticates once.
public struct CachedAuth: Codable, Sendable, Equatable {
    public var token: String
    public var expiresAt: Date
    public var computeURL: String
    public var imageURL: String?
    public var projectID: String
    public var userID: String

    public init(
        token: String, expiresAt: Date, computeURL: String, imageURL: String?, projectID: String, userID: String
    ) {
        self.token = token
        self.expiresAt = expiresAt
        self.computeURL = computeURL
        self.imageURL = imageURL
        self.projectID = projectID
        self.userID = userID
    }
}

public struct TokenCache: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `$XDG_CACHE_HOME/nova-swift` or `~/.cache/nova-swift`.
    public static func standard(environment: [String: String]) -> TokenCache {
        let base = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
        return TokenCache(directory: base + "/nova-swift")
    }

    /// One file per auth URL, user, domains and project.
    func path(for settings: ClientSettings) -> String {
        let key = [
            settings.authURL ?? "", settings.username ?? "", settings.userDomainName, settings.projectName ?? "",
            settings.projectDomainName,
        ].joined(separator: "\u{1}")
        let digest = StableHash.hex(SHA256.hash(data: Array(key.utf8)).prefix(16))
        return directory + "/token-" + digest + ".json"
    }

    /// A cached entry still valid for at least a minute.
    public func load(for settings: ClientSettings, now: Date = Date()) -> CachedAuth? {
        guard let data = FileManager.default.contents(atPath: path(for: settings)),
            let entry = try? Self.decoder.decode(CachedAuth.self, from: data),
            entry.expiresAt.timeIntervalSince(now) > 60
        else { return nil }
        return entry
    }

    public func store(_ entry: CachedAuth, for settings: ClientSettings) {
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard let data = try? Self.encoder.encode(entry) else { return }
        let file = path(for: settings)
        if FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: 0o600]) == false
        {
            return
        }
    }

    public func remove(for settings: ClientSettings) {
        try? FileManager.default.removeItem(atPath: path(for: settings))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()
}
