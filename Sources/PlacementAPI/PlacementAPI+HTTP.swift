import APISupport
import HTTPTypes
import Hummingbird
import NovaCore

/// What Placement checks of a request before its handler (placement/handler.py, util.check_accept): a body
/// without a media type is 400, an `Accept` that JSON does not satisfy 406, a method a path does not answer
/// 405 with `Allow`.
extension PlacementAPI {
    /// The methods each path answers, as Placement declares its routes.
    static let methodsByPath: [(String, [HTTPRequest.Method])] = [
        ("", [.get]),
        ("resource_providers", [.get, .post]),
        ("resource_providers/{uuid}", [.get, .put, .delete]),
        ("resource_providers/{uuid}/inventories", [.get, .post, .put, .delete]),
        ("resource_providers/{uuid}/inventories/{rc}", [.get, .put, .delete]),
        ("resource_providers/{uuid}/usages", [.get]),
        ("resource_providers/{uuid}/aggregates", [.get, .put]),
        ("resource_providers/{uuid}/allocations", [.get]),
        ("resource_providers/{uuid}/traits", [.get, .put, .delete]),
        ("resource_classes", [.get, .post]),
        ("resource_classes/{name}", [.get, .put, .delete]),
        ("traits", [.get]),
        ("traits/{name}", [.get, .put, .delete]),
        ("allocations", [.post]),
        ("allocations/{consumer}", [.get, .put, .delete]),
        ("allocation_candidates", [.get]),
        ("usages", [.get]),
        ("reshaper", [.post]),
    ]

    func registerMethodsNotAllowed(on root: RouterGroup<NovaRequestContext>) {
        let methods: [HTTPRequest.Method] = [.get, .put, .post, .delete, .patch, .options]
        for (path, allowed) in Self.methodsByPath {
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            for method in methods where !allowed.contains(method) {
                root.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw MethodNotAllowed(method: method.rawValue, allow: allow)
                }
            }
        }
    }
}

/// Placement's checks of the media types, run before every handler.
struct PlacementMediaTypes: RouterMiddleware {
    typealias Context = NovaRequestContext

    func handle(
        _ request: Request, context: NovaRequestContext,
        next: (Request, NovaRequestContext) async throws -> Response
    ) async throws -> Response {
        if let length = request.headers[.contentLength] {
            // checked: text to Int never traps; nil is the 400
            guard let bytes = Int(length) else {
                throw NovaError.badRequest("content-length header must be an integer")
            }
            if bytes > 0, (request.headers[.contentType] ?? "").isEmpty {
                throw NovaError.badRequest("content-type header required when content-length > 0")
            }
        }
        if request.method == .get, let accept = request.headers[.accept],
            !Self.accepts(accept, "application/json")
        {
            throw NovaError(.notAcceptable, "Only application/json is provided")
        }
        return try await next(request, context)
    }

    /// Whether an `Accept` header lets in `type` (`type`, its `major/*` or `*/*`, with a q above 0).
    static func accepts(_ header: String, _ type: String) -> Bool {
        let major = type.split(separator: "/").first.map(String.init) ?? type
        return header.split(separator: ",").contains { range in
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let media = parts.first, [type, "\(major)/*", "*/*"].contains(media) else { return false }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }
}

extension PlacementAPI {
    /// Placement's 415 unless the body is declared JSON (placement/util.py require_content).
    static func requireJSONContent(_ request: Request) throws {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        guard type?.lowercased() == "application/json" else {
            throw NovaError(
                .unsupportedMediaType,
                "The media type \(type.flatMap { $0.isEmpty ? nil : $0 } ?? "None") is not supported, use application/json"
            )
        }
    }
}
