import Crypto
import Foundation
import NovaCore

/// OpenSSH key handling for keypairs: generation (Ed25519), validation of imported public keys, and Nova's
/// MD5 fingerprint.
enum SSHKeys {
    static let knownTypes = [
        "ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    ]

    struct Generated {
        var publicKey: String
        var privateKey: String
        var fingerprint: String
    }

    static func generate(comment: String = "Generated-by-Nova") -> Generated {
        let key = Curve25519.Signing.PrivateKey()
        let publicBytes = Array(key.publicKey.rawRepresentation)
        var blob: [UInt8] = []
        appendString(Array("ssh-ed25519".utf8), to: &blob)
        appendString(publicBytes, to: &blob)

        var secret: [UInt8] = []
        let check = UInt32.random(in: 0...UInt32.max)
        appendUInt32(check, to: &secret)
        appendUInt32(check, to: &secret)
        appendString(Array("ssh-ed25519".utf8), to: &secret)
        appendString(publicBytes, to: &secret)
        appendString(Array(key.rawRepresentation) + publicBytes, to: &secret)
        appendString(Array(comment.utf8), to: &secret)
        var pad: UInt8 = 1
        while secret.count % 8 != 0 {
            secret.append(pad)
            pad += 1
        }

        var file: [UInt8] = Array("openssh-key-v1".utf8) + [0]
        appendString(Array("none".utf8), to: &file)
        appendString(Array("none".utf8), to: &file)
        appendString([], to: &file)
        appendUInt32(1, to: &file)
        appendString(blob, to: &file)
        appendString(secret, to: &file)
        let body = Data(file).base64EncodedString()
        var lines: [String] = []
        var index = body.startIndex
        while index < body.endIndex {
            let end = body.index(index, offsetBy: 70, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(String(body[index..<end]))
            index = end
        }
        let privateKey =
            "-----BEGIN OPENSSH PRIVATE KEY-----\n" + lines.joined(separator: "\n")
            + "\n-----END OPENSSH PRIVATE KEY-----\n"
        return Generated(
            publicKey: "ssh-ed25519 \(Data(blob).base64EncodedString()) \(comment)", privateKey: privateKey,
            fingerprint: fingerprint(blob: blob))
    }

    /// Validates an OpenSSH public key line and returns its fingerprint (Nova's 400 on bad data).
    static func fingerprint(publicKey: String) throws(NovaError) -> String {
        let fields = publicKey.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, knownTypes.contains(String(fields[0])),
            let blob = Data(base64Encoded: String(fields[1])), blob.count > 4
        else { throw .badRequest("Keypair data is invalid: failed to generate fingerprint") }
        let bytes = Array(blob)
        // checked: bytes widened; the length is checked against the blob below
        let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard length > 0, 4 + length <= bytes.count,
            String(decoding: bytes[4..<4 + length], as: UTF8.self) == String(fields[0])
        else { throw .badRequest("Keypair data is invalid: failed to generate fingerprint") }
        return fingerprint(blob: bytes)
    }

    static func fingerprint(blob: [UInt8]) -> String {
        Insecure.MD5.hash(data: blob).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func appendString(_ value: [UInt8], to bytes: inout [UInt8]) {
        // checked: lengths of keys this code generates
        appendUInt32(UInt32(value.count), to: &bytes)
        bytes += value
    }
}
