import HTTPTypes
import Hummingbird

/// `nova-server placement` answers at the root, as a standalone Placement does (deployment tools and clients
/// expect `http://host:8778/`), and still under `/placement`, where the all-in-one serves it. A path from the
/// root is routed as its `/placement` form (`routed`), and the links a handler writes start where the client
/// called (`NovaRequestContext.placementRoot`).
public enum PlacementRootPath {
    /// Marks a request that came in at the root (a client's own is dropped).
    static let header = HTTPField.Name("X-Nova-Placement-Root")!
    static let prefix = "/placement"

    /// The request as the router sees it; `atRoot`: this listener serves Placement alone.
    public static func routed(_ request: Request, atRoot: Bool) -> Request {
        guard atRoot || request.headers[header] != nil else { return request }
        var head = request.head
        head.headerFields[header] = nil
        if atRoot, let path = head.path, !isUnderPrefix(path) {
            head.path = prefix + path
            head.headerFields[header] = "/"
        }
        return Request(head: head, body: request.body)
    }

    static func isUnderPrefix(_ path: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        return path.count == prefix.count || ["/", "?"].contains(path.dropFirst(prefix.count).first)
    }

    /// Where the links of this request's answer start: "" at the root, else "/placement".
    static func root(of request: Request) -> String { request.headers[header] == nil ? prefix : "" }
}
