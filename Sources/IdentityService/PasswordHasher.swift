import Crypto
import CryptoExtras
import Foundation
import Synchronization

/// Salted, slow password hashes: PBKDF2-HMAC-SHA256, stored as `pbkdf2_sha256$rounds$salt$hash` (base64).
public enum PasswordHasher {
    public static let rounds = 210_000

    /// A well-formed hash that no password matches: verified against when a user is not found, so a login
    /// for an unknown user takes as long as one for a known user.
    public static let dummyHash =
        "pbkdf2_sha256$\(rounds)$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    public static func hash(_ password: String, rounds: Int = rounds) throws -> String {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let key = try derive(password, salt: salt, rounds: rounds)
        return "pbkdf2_sha256$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        // checked: a stored hash; text to Int never traps and the range is checked
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let rounds = Int(parts[1]),
            (1...10_000_000).contains(rounds),
            let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])),
            let actual = try? derive(password, salt: Array(salt), rounds: rounds)
        else { return false }
        // Constant-time comparison.
        guard actual.count == expected.count else { return false }
        return zip(actual, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Counts the key derivations made in a task: what a login costs, observed without timing it.
    public final class DerivationCounter: Sendable {
        let derivations = Atomic<Int>(0)
        public init() {}
        public var count: Int { derivations.load(ordering: .relaxed) }
    }

    @TaskLocal public static var counter: DerivationCounter?

    static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        counter?.derivations.add(1, ordering: .relaxed)
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}
