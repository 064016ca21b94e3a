import Foundation
import HTTPTypes
import Hummingbird
import NovaCore

extension HTTPField.Name {
    public static let openStackRequestID = HTTPField.Name("X-OpenStack-Request-Id")!
    public static let computeRequestID = HTTPField.Name("X-Compute-Request-Id")!
    public static let authToken = HTTPField.Name("X-Auth-Token")!
    public static let serviceToken = HTTPField.Name("X-Service-Token")!
    public static let subjectToken = HTTPField.Name("X-Subject-Token")!
    public static let openStackAPIVersion = HTTPField.Name("OpenStack-API-Version")!
    public static let novaAPIVersion = HTTPField.Name("X-OpenStack-Nova-API-Version")!
}

extension Response {
    /// A JSON response.
    public static func json(_ body: JSON, status: Int = 200, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        guard InProcessAnswer.valuesTaken else {
            return Response(
                status: HTTPResponse.Status(code: status), headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.bytes())))
        }
        // For a caller in this process: the value itself when its writer takes values, the text otherwise.
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: ResponseBody { writer in
                if let answer = writer as? InProcessAnswer {
                    answer.take(body)
                } else {
                    try await writer.write(ByteBuffer(bytes: body.bytes()))
                }
                try await writer.finish(nil)
            })
    }

    /// A response with no body (202 for most actions, 204 for deletes).
    public static func empty(status: Int, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentLength] = "0"
        return Response(status: HTTPResponse.Status(code: status), headers: fields)
    }
}

extension Request {
    /// The request body as JSON; 400 in Nova's words when it is not JSON.
    public func jsonBody(context: NovaRequestContext) async throws -> JSON {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw NovaError.badRequest("Malformed request body: the body is empty") }
        guard let json = JSON.parse(buffer.readableBytesView) else {
            throw NovaError.badRequest("Malformed request body")
        }
        return json
    }

    public var query: QueryParameters { QueryParameters(uri.query) }

    /// The URL the client used to reach this server, e.g. "http://127.0.0.1:8774" (from the Host header).
    public func baseURL(fallback: String) -> String {
        if let host = head.authority {
            let scheme = headers[HTTPField.Name("X-Forwarded-Proto")!] ?? "http"
            return "\(scheme)://\(host)"
        }
        return fallback
    }
}

/// Timestamps in the forms the OpenStack APIs use.
public enum Timestamp {
    /// Nova's form: 2026-11-25T04:32:16Z.
    public static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    /// Keystone's form: 2026-11-25T04:32:16.000000Z.
    public static func keystone(_ date: Date) -> String {
        let whole = iso(date).dropLast()
        // checked: a fraction of a second times a million
        let micro = Int((date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1)) * 1_000_000)
        return whole + "." + String(micro).leftPadded(6) + "Z"
    }

    /// Nova's instance action form: 2026-11-25T04:32:16.000000 (no zone).
    public static func naive(_ date: Date) -> String {
        String(keystone(date).dropLast())
    }

    /// Parses ISO 8601 with or without fractional seconds and zone (changes-since).
    public static func parse(_ text: String) -> Date? {
        var value = text.replacingOccurrences(of: " ", with: "+")
        if !(value.hasSuffix("Z") || value.contains("+") || value.dropFirst(10).contains("-")) { value += "Z" }
        if let date = try? Date(value, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let date = try? Date(value, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: false)) {
            return date
        }
        if value.count == 10 || value.count == 11,
            let date = try? Date(String(value.prefix(10)) + "T00:00:00Z", strategy: .iso8601)
        {
            return date
        }
        return nil
    }
}
