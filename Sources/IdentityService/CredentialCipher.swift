import Crypto
#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// Keeps credential blobs (an EC2 credential's secret) encrypted at rest, as Keystone's credential keys do:
/// AES-256-GCM with a key in `[credential] key_repository` (a file made with mode 0600 at the first start),
/// so a copy of the database alone does not give the secrets away. Every process that serves the identity
/// API needs the same key file, as every Keystone node needs the same credential keys.
public struct CredentialCipher: Sendable {
    let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// The key in `path`, made there first when the file does not exist. Processes that start together on one
    /// data directory agree on one key: each writes its candidate to a file of its own and links it into place,
    /// which only the first does; the others then read that one.
    public init(keyFile path: String) throws {
        if FileManager.default.fileExists(atPath: path) {
            key = try Self.read(path)
            return
        }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let candidate = path + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: candidate, contents: bytes, attributes: [.posixPermissions: 0o600])
        else { throw CredentialKeyError(path: path) }
        defer { unlink(candidate) }
        _ = link(candidate, path)
        key = try Self.read(path)
    }

    static func read(_ path: String) throws -> SymmetricKey {
        guard let data = FileManager.default.contents(atPath: path), data.count == 32 else {
            throw CredentialKeyError(path: path)
        }
        return SymmetricKey(data: data)
    }

    /// Nonce, ciphertext and tag, in base64.
    public func seal(_ text: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(text.utf8), using: key).combined else {
            throw CredentialKeyError(path: "(sealing)")
        }
        return combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw CredentialKeyError(path: "(opening)") }
        let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key)
        return String(decoding: plain, as: UTF8.self)
    }
}

public struct CredentialKeyError: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "the credential key \(path) is not a 32-byte key, or could not be used" }
}
