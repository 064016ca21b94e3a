import APISupport
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NovaCore

/// Who signed a request: its access key and signature (AWS Signature Version 4 in the Authorization header or
/// the query, or Version 2), checked by Keystone's `POST /v3/ec2tokens`, which answers with a token.
extension EC2API {
    func authenticate(_ request: Request, pairs: [(String, String)], body: [UInt8]) async throws -> (
        String, Credentials
    ) {
        var params: [String: String] = [:]
        for (key, value) in pairs { params[key] = value }
        var headers: [String: String] = [:]
        // Keystone's signer looks headers up as `Authorization`, `X-Amz-Date`: the conventional spelling.
        for field in request.headers { headers[Self.titleCase(field.name.canonicalName)] = field.value }
        let host = request.head.authority ?? headers["host"] ?? ""
        if headers.keys.first(where: { $0.lowercased() == "host" }) == nil { headers["Host"] = host }
        let (access, signature) = try Self.accessAndSignature(headers: headers, params: params)
        try checkTimestamp(headers: headers, params: params)
        let fields: JSON = [
            "credentials": [
                "access": .string(access), "signature": .string(signature), "host": .string(host),
                "verb": .string(request.method.rawValue), "path": .string(request.uri.path),
                "params": .object(JSONObject(params.map { ($0.key, JSON.string($0.value)) })),
                "headers": .object(JSONObject(headers.map { ($0.key, JSON.string($0.value)) })),
                "body_hash": .string(StableHash.hex(SHA256.hash(data: Data(body)))),
            ]
        ]
        let reply = try await backend.ec2Token(fields)
        switch reply.status {
        case 200, 201:
            guard let token = reply.headers["x-subject-token"], let body = reply.json?["token"],
                let credentials = Credentials(keystoneToken: body)
            else { throw EC2Error("Unavailable", "Keystone answered without a token.", status: 503) }
            return (token, credentials)
        case 401, 403:
            // Keystone names a key it does not know only in its message; a wrong signature otherwise.
            if reply.message.lowercased().contains("signature") {
                throw EC2Error(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.", status: 403)
            }
            throw EC2Error.authFailure
        case 400:
            throw EC2Error("AuthFailure", "The request's signature is malformed: \(reply.message)", status: 401)
        default:
            throw EC2Error("Unavailable", "Keystone could not check the signature: \(reply.message)", status: 503)
        }
    }

    /// `x-amz-date` as `X-Amz-Date`.
    static func titleCase(_ name: String) -> String {
        name.split(separator: "-", omittingEmptySubsequences: false).map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined(separator: "-")
    }

    /// The access key and signature, from whichever form the client signed in.
    static func accessAndSignature(headers: [String: String], params: [String: String]) throws(EC2Error) -> (
        String, String
    ) {
        let authorization = headers.first { $0.key.lowercased() == "authorization" }?.value
        if let authorization, authorization.hasPrefix("AWS4-HMAC-SHA256") {
            func part(_ name: String) -> String? {
                guard let range = authorization.range(of: name + "=") else { return nil }
                return String(authorization[range.upperBound...].prefix { $0 != "," }).trimmingCharacters(
                    in: .whitespaces)
            }
            guard let credential = part("Credential"), let signature = part("Signature"),
                let access = credential.split(separator: "/").first
            else { throw EC2Error("AuthFailure", "The Authorization header is malformed.", status: 401) }
            return (String(access), signature)
        }
        if let credential = params["X-Amz-Credential"], let signature = params["X-Amz-Signature"],
            let access = credential.split(separator: "/").first
        {
            return (String(access), signature)
        }
        if let access = params["AWSAccessKeyId"], let signature = params["Signature"] {
            return (access, signature)
        }
        throw EC2Error(
            "AuthFailure", "The request must be signed with an EC2 access key (AWS Signature Version 4 or 2).",
            status: 401)
    }

    /// EC2's window: X-Amz-Date (or Version 2's Timestamp) within five minutes of now, Expires not past.
    func checkTimestamp(headers: [String: String], params: [String: String]) throws(EC2Error) {
        let expired = EC2Error(
            "RequestExpired", "Request has expired: its timestamp is more than five minutes from the server's time.")
        let now = clock.now
        if let text = headers.first(where: { $0.key.lowercased() == "x-amz-date" })?.value ?? params["X-Amz-Date"] {
            guard let date = AmzDate.parse(text) else { throw EC2Error.invalid("X-Amz-Date", text, "") }
            if abs(date.timeIntervalSince(now)) > Self.window { throw expired }
        } else if let text = params["Timestamp"] {
            guard let date = Timestamp.parse(text) else { throw EC2Error.invalid("Timestamp", text, "") }
            if abs(date.timeIntervalSince(now)) > Self.window { throw expired }
        } else if let text = params["Expires"] {
            guard let date = Timestamp.parse(text) else { throw EC2Error.invalid("Expires", text, "") }
            if date < now { throw expired }
        } else {
            throw EC2Error.missing("X-Amz-Date")
        }
    }
}
