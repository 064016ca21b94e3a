import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NovaCore

/// Resolves a token to the caller's credentials (implemented by the identity service or a remote Keystone).
public protocol TokenValidator: Sendable {
    func credentials(forToken token: String) async throws -> Credentials?
    /// The credentials of a service token (`X-Service-Token`), nil when it is not one.
    func serviceCredentials(forToken token: String) async throws -> Credentials?
    /// Where a refused client is told to authenticate (`WWW-Authenticate: Keystone uri=...`); nil: this
    /// listener's own identity service.
    var authenticateURI: String? { get }
}

extension TokenValidator {
    public func serviceCredentials(forToken token: String) async throws -> Credentials? {
        try await credentials(forToken: token)
    }

    public var authenticateURI: String? { nil }
}

/// The one place requests are framed for every service: request id, token check, compute microversion,
/// and errors rendered in the format of the service the path belongs to.
public struct OpenStackMiddleware: RouterMiddleware {
    public typealias Context = NovaRequestContext
    let validator: any TokenValidator
    let placementNoAuth: Bool

    /// - Parameter placementNoAuth: Placement's `[api] auth_strategy = noauth2`, for testing only: the token is
    ///   `user[:project]`; the roles are `X-Roles`, else `admin` for the user `admin`; the project is
    ///   `X-Project-Id`, else the token's; `OpenStack-System-Scope` makes the caller system-scoped.
    public init(validator: any TokenValidator, placementNoAuth: Bool = false) {
        self.validator = validator
        self.placementNoAuth = placementNoAuth
    }

    static func noAuthCredentials(_ token: String, _ request: Request) -> Credentials {
        let parts = token.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let user = String(parts[0])
        let tokenProject = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : user
        let project = request.headers[HTTPField.Name("X-Project-Id")!] ?? tokenProject
        let roles =
            request.headers[HTTPField.Name("X-Roles")!].map {
                $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } ?? (user == "admin" ? ["admin"] : [])
        let systemScope = request.headers[HTTPField.Name("OpenStack-System-Scope")!].flatMap { $0.isEmpty ? nil : $0 }
        return Credentials(
            userID: user, userName: user, projectID: systemScope == nil ? project : "",
            projectName: systemScope == nil ? project : "", roles: roles, systemScope: systemScope)
    }

    enum Service {
        case compute, identity, image, placement, network, volume, other

        init(path: String) {
            if path.hasPrefix("/compute") {
                self = .compute
            } else if path.hasPrefix("/identity") {
                self = .identity
            } else if path.hasPrefix("/image") {
                self = .image
            } else if path.hasPrefix("/placement") {
                self = .placement
            } else if path.hasPrefix("/networking") {
                self = .network
            } else if path.hasPrefix("/volume") {
                self = .volume
            } else {
                self = .other
            }
        }
    }

    /// Routes that answer without a token: version discovery and authentication itself.
    static func isPublic(_ request: Request) -> Bool {
        let path =
            request.uri.path.hasSuffix("/") && request.uri.path.count > 1
            ? String(request.uri.path.dropLast()) : request.uri.path
        // A password, token or signed EC2 request is the authentication itself (the EC2 API's requests are
        // signed, and checked by its own handler).
        if request.method == .post {
            return ["/identity/v3/auth/tokens", "/identity/v3/ec2tokens", "/ec2"].contains(path)
        }
        guard request.method == .get || request.method == .head else { return false }
        return [
            "/ec2",
            "/", "/identity", "/identity/v3", "/compute", "/compute/v2.1", "/compute/v2", "/image", "/image/versions",
            "/placement", "/networking", "/volume", "/volume/v3",
        ].contains(path)
    }

    public func handle(
        _ request: Request, context: NovaRequestContext,
        next: (Request, NovaRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.requestID = "req-" + UUID().uuidString.lowercased()
        let service = Service(path: request.uri.path)
        var headers: HTTPFields = [.openStackRequestID: context.requestID]
        if service == .compute { headers[.computeRequestID] = context.requestID }
        var response: Response
        do {
            if service == .compute {
                context.apiVersion = try APIVersion.negotiate(
                    standard: request.headers[.openStackAPIVersion], legacy: request.headers[.novaAPIVersion])
                headers[.openStackAPIVersion] = "compute \(context.apiVersion)"
                headers[.novaAPIVersion] = "\(context.apiVersion)"
                headers[.vary] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
            }
            if service == .placement {
                context.placementVersion = try APIVersion.negotiatePlacement(request.headers[.openStackAPIVersion])
                context.placementRoot = PlacementRootPath.root(of: request)
                headers[.openStackAPIVersion] = "placement \(context.placementVersion)"
                headers[.vary] = "openstack-api-version"
            }
            if service == .volume {
                context.volumeVersion = try APIVersion.negotiateVolume(request.headers[.openStackAPIVersion])
                headers[.openStackAPIVersion] = "volume \(context.volumeVersion)"
                headers[.vary] = "OpenStack-API-Version"
            }
            if let token = request.headers[.authToken] {
                context.authToken = token
                context.credentials =
                    placementNoAuth && service == .placement
                    ? Self.noAuthCredentials(token, request) : try await validator.credentials(forToken: token)
                context.credentials?.token = token
            }
            if context.credentials == nil, !Self.isPublic(request) {
                throw NovaError.unauthorized("The request you have made requires authentication.")
            }
            // A service token beside the user's must be valid too (keystonemiddleware refuses the request otherwise).
            if let serviceToken = request.headers[.serviceToken], !Self.isPublic(request),
                try await validator.serviceCredentials(forToken: serviceToken) == nil
            {
                throw NovaError.unauthorized("The request you have made requires authentication.")
            }
            // Every policy of compute, image, networking and block storage is for project scope (their defaults
            // since 2023.1, with scope enforced): a system-scoped token is refused by all of them.
            if context.credentials?.systemScope != nil, [.compute, .image, .network, .volume].contains(service),
                !Self.isPublic(request)
            {
                throw NovaError.forbidden(
                    "Policy doesn't allow this request to be performed with a system-scoped token.")
            }
            if let rules = context.credentials?.accessRules, !Self.isPublic(request),
                !service.allows(request, under: rules)
            {
                throw NovaError.unauthorized("The request you have made requires authentication.")
            }
            try ComputeProjectPath.check(request, callerProject: context.credentials?.projectID)
            response = try await next(request, context)
            if service == .placement { Self.addPlacementCacheHeaders(&response, version: context.placementVersion) }
        } catch {
            let failure = Self.clientError(error, requestID: context.requestID, logger: context.logger)
            if let notAllowed = error as? MethodNotAllowed { headers[.allow] = notAllowed.allow }
            if service == .placement, let accept = request.headers[.accept], Self.prefersHTML(accept) {
                response = Self.htmlError(failure.code.status, failure.message)
            } else {
                response = Self.render(failure, service: service, requestID: context.requestID)
            }
        }
        if response.status == .unauthorized {
            // As keystonemiddleware says where to authenticate.
            let uri = validator.authenticateURI ?? request.baseURL(fallback: "") + "/identity"
            headers[.wwwAuthenticate] = "Keystone uri=\"\(uri)\""
        }
        for field in headers where response.headers[field.name] == nil {
            response.headers.append(field)
        }
        return response
    }

    /// From Placement 1.15 an answer with a body says it is not to be cached, and when it was last modified
    /// (Placement writes the newest change of what it lists, else now; here it is always now).
    static func addPlacementCacheHeaders(_ response: inout Response, version: APIVersion) {
        guard version >= APIVersion(1, 15), [200, 201].contains(response.status.code),
            response.headers[.contentType]?.hasPrefix("application/json") == true
        else { return }
        response.headers[.cacheControl] = "no-cache"
        response.headers[.lastModified] = HTTPDate.now()
    }

    /// Whether a client asks for HTML rather than JSON (a browser): Placement then writes its errors as a page.
    static func prefersHTML(_ accept: String) -> Bool {
        let types = accept.split(separator: ",").map {
            $0.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        }
        return types.contains("text/html") && !types.contains("application/json")
    }

    /// An error as the page WebOb writes for it.
    static func htmlError(_ status: Int, _ message: String) -> Response {
        let title = "\(status) \(reasonPhrase(status))"
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        let page =
            "<html>\n <head>\n  <title>\(title)</title>\n </head>\n <body>\n  <h1>\(title)</h1>\n  "
            + "\(escaped)<br /><br />\n\n\n\n </body>\n</html>"
        return Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "text/html; charset=UTF-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    /// Nova's fault names by status (nova/api/openstack/wsgi.py Fault); any other status is a computeFault.
    static func faultName(_ status: Int) -> String {
        switch status {
        case 400: "badRequest"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "itemNotFound"
        case 405: "badMethod"
        case 409: "conflictingRequest"
        case 413, 429: "overLimit"
        case 415: "badMediaType"
        case 501: "notImplemented"
        case 503: "serviceUnavailable"
        default: "computeFault"
        }
    }

    /// Neutron's error type: its own exception name for the networking service's codes, else the name of the
    /// webob exception Neutron answers with for that status.
    static func neutronType(_ code: NovaError.Code) -> String {
        let generic: [String: String] = [
            "badRequest": "HTTPBadRequest", "unauthorized": "HTTPUnauthorized", "forbidden": "HTTPForbidden",
            "itemNotFound": "HTTPNotFound", "badMethod": "HTTPMethodNotAllowed", "conflictingRequest": "HTTPConflict",
            "overLimit": "HTTPRequestEntityTooLarge", "badMediaType": "HTTPUnsupportedMediaType",
            "notImplemented": "HTTPNotImplemented", "serviceUnavailable": "HTTPServiceUnavailable",
            "computeFault": "HTTPInternalServerError",
        ]
        return generic[code.name] ?? code.name
    }

    /// The standard phrase of a status (HTTPTypes leaves it empty for a status made from a bare code).
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 409: "Conflict"
        case 410: "Gone"
        case 413: "Request Entity Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Internal Server Error"
        }
    }

    /// The whole body text of a 5xx answer (501 keeps its own message: it names what is not implemented).
    static func genericMessage(_ status: Int, requestID: String) -> String {
        let what =
            switch status {
            case 503: "The service is unavailable at the moment; try again later."
            case 504: "The service did not answer in time; try again later."
            default: "Unexpected API Error."
            }
        return "\(what) The service log has the details under request id \(requestID)."
    }

    /// What the client is told of `error`: NovaErrors as they are, a body over the limit as 413, anything
    /// else as a 500; every 5xx but 501 generic, its detail logged under the request id.
    static func clientError(_ error: any Error, requestID: String, logger: Logger) -> NovaError {
        var novaError: NovaError
        switch error {
        case let error as NovaError:
            novaError = error
        case let error as MethodNotAllowed:
            novaError = NovaError(.badMethod, "The method \(error.method) is not allowed for this resource.")
        case is NIOTooManyBytesError:
            novaError = NovaError(
                .overLimit, "Request body too large: at most \(NovaRequestContext.maxBodySize) bytes are accepted.")
        case let error as HTTPError:
            // checked: an HTTP status code, widened
            let status = Int(error.status.code)
            let code: NovaError.Code =
                switch status {
                case 404: .notFound
                case 405: .badMethod
                case 413: .overLimit
                case 400: .badRequest
                default: NovaError.Code(status: status, name: "computeFault")
                }
            novaError = NovaError(
                code, error.body ?? (status == 404 ? "The resource could not be found." : error.status.reasonPhrase))
        default:
            novaError = NovaError(.internalError, "\(type(of: error)): \(error)")
        }
        // A 5xx body says what kind of failure it was and nothing of the server's insides (paths, errors of
        // the libraries): the detail goes to the log under the request id, where an operator finds it.
        if novaError.code.status >= 500, novaError.code != .notImplemented {
            logger.error(
                "request \(requestID) failed: \(novaError.message)", metadata: ["nova.request.id": "\(requestID)"])
            novaError = NovaError(novaError.code, Self.genericMessage(novaError.code.status, requestID: requestID))
        }
        return novaError
    }

    /// `novaError` (what `clientError` made of the failure) in the body format of `service`.
    static func render(_ novaError: NovaError, service: Service, requestID: String) -> Response {
        let status = novaError.code.status
        switch service {
        case .identity:
            return .json(
                [
                    "error": [
                        "code": .int(status), "message": .string(novaError.message),
                        "title": .string(Self.reasonPhrase(status)),
                    ]
                ],
                status: status)
        case .image:
            let reason = Self.reasonPhrase(status)
            let text = "\(status) \(reason)\n\n\(novaError.message)\n\n   "
            return Response(
                status: HTTPResponse.Status(code: status), headers: [.contentType: "text/plain; charset=UTF-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        case .placement:
            return .json(
                [
                    "errors": [
                        [
                            "status": .int(status), "title": .string(Self.reasonPhrase(status)),
                            "detail": .string(novaError.message),
                            "code": .string(
                                novaError.code.name.hasPrefix("placement.")
                                    ? novaError.code.name : "placement.undefined_code"),
                            "request_id": .string(requestID),
                        ]
                    ]
                ],
                status: status)
        case .network:
            return .json(
                [
                    "NeutronError": [
                        "type": .string(Self.neutronType(novaError.code)), "message": .string(novaError.message),
                        "detail": "",
                    ]
                ],
                status: status)
        case .compute, .volume, .other:
            return .json(
                [Self.faultName(status): ["code": .int(status), "message": .string(novaError.message)]], status: status)
        }
    }
}

/// 405 for a method a known path does not answer; the answer lists the ones it does in `Allow`.
public struct MethodNotAllowed: Error, Sendable {
    public let method: String
    public let allow: String

    public init(method: String, allow: String) {
        self.method = method
        self.allow = allow
    }
}
