import HTTPTypes
import Hummingbird

/// `[cors]` as oslo.middleware reads it: the origins a browser may call from, and what such a call may send
/// and read. With no origin configured CORS is off (an OPTIONS request goes to the API, which has no such
/// route).
public struct CORSOptions: Sendable, Equatable {
    public var allowedOrigins: [String]
    public var allowHeaders: [String]
    public var exposeHeaders: [String]
    public var allowMethods: [String]
    public var allowCredentials: Bool
    public var maxAge: Int?

    public init(
        allowedOrigins: [String], allowHeaders: [String] = [], exposeHeaders: [String] = [],
        allowMethods: [String] = ["GET", "PUT", "POST", "DELETE", "PATCH"], allowCredentials: Bool = true,
        maxAge: Int? = nil
    ) {
        self.allowedOrigins = allowedOrigins
        self.allowHeaders = allowHeaders
        self.exposeHeaders = exposeHeaders
        self.allowMethods = allowMethods
        self.allowCredentials = allowCredentials
        self.maxAge = maxAge
    }

    /// The headers a browser may send without asking (CORS's simple headers).
    static let simpleHeaders: Set<String> = [
        "cache-control", "content-language", "content-type", "expires", "last-modified", "pragma",
    ]

    func allows(origin: String) -> Bool { allowedOrigins.contains(origin) || allowedOrigins.contains("*") }

    /// The answer to a preflight request (OPTIONS with Origin and Access-Control-Request-Method): always 200;
    /// with the CORS headers only when the origin, the method and every requested header are allowed.
    public func preflight(_ request: Request) -> Response? {
        guard request.method == .options, let origin = request.headers[.origin],
            let method = request.headers[.accessControlRequestMethod]
        else { return nil }
        var headers: HTTPFields = [.vary: "Origin", .contentLength: "0"]
        let requested = (request.headers[.accessControlRequestHeaders] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }.filter { !$0.isEmpty }
        let allowedHeaders = Set(allowHeaders.map { $0.lowercased() }).union(Self.simpleHeaders)
        if allows(origin: origin), allowMethods.contains(method.uppercased()),
            requested.allSatisfy(allowedHeaders.contains)
        {
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = method.uppercased()
            if !requested.isEmpty { headers[.accessControlAllowHeaders] = requested.joined(separator: ",") }
            if allowCredentials { headers[.accessControlAllowCredentials] = "true" }
            if let maxAge { headers[.accessControlMaxAge] = String(maxAge) }
        }
        return Response(status: .ok, headers: headers)
    }

    /// An actual request from an allowed origin: its answer says who may read it and which headers.
    public func decorate(_ response: inout Response, for request: Request) {
        guard let origin = request.headers[.origin], allows(origin: origin) else { return }
        response.headers[.accessControlAllowOrigin] = origin
        if allowCredentials { response.headers[.accessControlAllowCredentials] = "true" }
        if !exposeHeaders.isEmpty {
            response.headers[.accessControlExposeHeaders] = exposeHeaders.joined(separator: ",")
        }
        response.headers[.vary] = [response.headers[.vary], "Origin"].compactMap { $0 }.joined(separator: ", ")
    }
}
