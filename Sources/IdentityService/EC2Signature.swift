import Crypto
import Foundation
import NovaCore

/// What a request signed with an EC2 key pair says of itself: the fields Keystone's `POST /v3/ec2tokens`
/// takes (and an EC2 front end reads off its own requests).
public struct EC2SignedRequest: Sendable, Equatable {
    public var access: String
    public var signature: String
    public var host: String
    public var verb: String
    public var path: String
    public var params: [String: String]
    public var headers: [String: String]
    /// The hex SHA-256 of the body (Signature Version 4).
    public var bodyHash: String

    public init(
        access: String, signature: String, host: String, verb: String, path: String, params: [String: String],
        headers: [String: String], bodyHash: String
    ) {
        self.access = access
        self.signature = signature
        self.host = host
        self.verb = verb
        self.path = path
        self.params = params
        self.headers = headers
        self.bodyHash = bodyHash
    }

    func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// AWS request signatures, as Keystone's EC2 signer checks them: Version 4 (HMAC-SHA256 over the canonical
/// request, from the Authorization header or the X-Amz-* query parameters) and Version 2 (HMAC-SHA256 or
/// SHA1 over verb, host, path and the sorted query). Versions 0 and 1 are refused: they sign too little.
public enum EC2Signature {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unsupported
        case malformed(String)
        case dateMismatch
        case expired

        public var description: String {
            switch self {
            case .unsupported: "Unexpected signature format: only AWS Signature Version 4 and 2 are taken"
            case .malformed(let what): "Malformed signature: \(what)"
            case .dateMismatch: "Request date mismatch error"
            case .expired: "The request's timestamp is too far from now"
            }
        }
    }

    /// Whether the request carries the signature `secret` gives it, made within `window` of `now` (its
    /// X-Amz-Date, or Version 2's Timestamp / Expires).
    public static func verify(_ request: EC2SignedRequest, secret: String, now: Date, window: TimeInterval) throws
        -> Bool
    {
        let expected = try signature(of: request, secret: secret)
        try checkTime(request, now: now, window: window)
        let given = request.signature
        // Compared in constant time: a wrong guess learns nothing of how far it got.
        guard expected.utf8.count == given.utf8.count else { return false }
        return zip(expected.utf8, given.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public static func isVersion4(_ request: EC2SignedRequest) -> Bool {
        request.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256") == true
            || request.params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    }

    /// The signature `secret` gives the request.
    public static func signature(of request: EC2SignedRequest, secret: String) throws -> String {
        if isVersion4(request) { return try version4(request, secret: secret) }
        if request.params["SignatureVersion"] == "2" { return version2(request, secret: secret) }
        throw Failure.unsupported
    }

    static func version2(_ request: EC2SignedRequest, secret: String) -> String {
        var params = request.params
        params["Signature"] = nil
        let text = "\(request.verb)\n\(request.host)\n\(request.path)\n" + canonicalQuery(params)
        let key = SymmetricKey(data: Data(secret.utf8))
        if params["SignatureMethod"] == "HmacSHA1" {
            return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: key)).base64EncodedString()
        }
        return Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).base64EncodedString()
    }

    static func version4(_ request: EC2SignedRequest, secret: String) throws -> String {
        func authorization(_ name: String) -> String? {
            if let header = request.header("Authorization") {
                guard let range = header.range(of: name + "=") else { return nil }
                return String(header[range.upperBound...].prefix { $0 != "," })
            }
            return request.params["X-Amz-" + name]
        }
        guard let credential = authorization("Credential"), let signed = authorization("SignedHeaders"),
            let date = request.header("X-Amz-Date") ?? request.params["X-Amz-Date"]
        else { throw Failure.malformed("Credential, SignedHeaders and X-Amz-Date are needed") }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else {
            throw Failure.malformed("the credential scope is not ACCESS/DATE/REGION/SERVICE/aws4_request")
        }
        guard date.hasPrefix(scope[1]) else { throw Failure.dateMismatch }
        var lowered: [String: String] = [:]
        for (name, value) in request.headers {
            lowered[name.lowercased().trimmingCharacters(in: .whitespaces)] = value.trimmingCharacters(in: .whitespaces)
        }
        let headerLines = signed.split(separator: ";").compactMap { name in
            lowered[String(name)].map { "\(name):\($0)" }
        }
        var query = request.params
        query["X-Amz-Signature"] = nil
        let canonical = [
            request.verb.uppercased(), request.path,
            request.verb.uppercased() == "POST" ? "" : canonicalQuery(query),
            headerLines.joined(separator: "\n") + "\n", signed, request.bodyHash,
        ].joined(separator: "\n")
        let digest = SHA256.hash(data: Data(canonical.utf8)).hex
        let toSign = ["AWS4-HMAC-SHA256", date, scope[1...].joined(separator: "/"), digest].joined(separator: "\n")
        var key = SymmetricKey(data: Data(("AWS4" + secret).utf8))
        for part in [scope[1], scope[2], scope[3], "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Data(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: key)).hex
    }

    /// Keys sorted, each key and value percent-encoded leaving only unreserved characters (`-_.~` and
    /// alphanumerics; Keystone's signer keeps `.` encoded in keys as Python's quote does not: the same).
    static func canonicalQuery(_ params: [String: String]) -> String {
        params.keys.sorted().map { key in "\(encode(key))=\(encode(params[key] ?? ""))" }.joined(separator: "&")
    }

    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// X-Amz-Date (Version 4) or Timestamp / Expires (Version 2) within `window` of `now`.
    static func checkTime(_ request: EC2SignedRequest, now: Date, window: TimeInterval) throws {
        if isVersion4(request) {
            let text = request.header("X-Amz-Date") ?? request.params["X-Amz-Date"] ?? ""
            guard let date = AmzDate.parse(text) else { throw Failure.malformed("X-Amz-Date") }
            if abs(date.timeIntervalSince(now)) > window { throw Failure.expired }
            return
        }
        let iso = ISO8601DateFormatter()
        if let expires = request.params["Expires"] {
            guard let date = iso.date(from: expires) else { throw Failure.malformed("Expires") }
            if date < now { throw Failure.expired }
        } else if let stamp = request.params["Timestamp"] {
            guard let date = iso.date(from: stamp) ?? iso.date(from: stamp + "Z") else {
                throw Failure.malformed("Timestamp")
            }
            if abs(date.timeIntervalSince(now)) > window { throw Failure.expired }
        }
    }
}

extension Sequence where Element == UInt8 {
    var hex: String { StableHash.hex(self) }
}

extension EC2Signature {
    /// The headers of a form-encoded POST signed with Version 4 as botocore signs one (Content-Type, X-Amz-Date,
    /// Authorization): how this project's own EC2 callers (its benchmark, its tests) sign.
    public static func signedPostHeaders(
        access: String, secret: String, host: String, path: String, body: String, date: Date,
        region: String = "RegionOne"
    ) throws -> [(String, String)] {
        let stamp = AmzDate.format(date)
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let scope = "\(access)/\(stamp.prefix(8))/\(region)/ec2/aws4_request"
        let prefix = "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=content-type;host;x-amz-date, Signature="
        var request = EC2SignedRequest(
            access: access, signature: "", host: host, verb: "POST", path: path, params: [:],
            headers: ["Host": host, "X-Amz-Date": stamp, "Content-Type": contentType, "Authorization": prefix],
            bodyHash: SHA256.hash(data: Data(body.utf8)).hex)
        request.signature = try signature(of: request, secret: secret)
        return [("Content-Type", contentType), ("X-Amz-Date", stamp), ("Authorization", prefix + request.signature)]
    }
}
