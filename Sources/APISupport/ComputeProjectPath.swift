import HTTPTypes
import Hummingbird
import NovaCore

/// Nova's URLs with the project in them (`/v2.1/{project_id}/servers`: the endpoint form of older catalogs and
/// clients). Nova routes both forms; the project must be the caller's. A project segment is what Nova's default
/// `project_id_regex` matches (hex digits and dashes, as Keystone's ids are), so no collection name is taken
/// for one. The segment is taken out before routing (`routed`), and checked against the caller once the token
/// is known (`check`).
public enum ComputeProjectPath {
    static let prefixes = ["/compute/v2.1/", "/compute/v2/"]
    /// Where the project taken out of the URL travels from `routed` to `check` (a client's own is dropped).
    static let header = HTTPField.Name("X-Nova-URL-Project-Id")!

    /// `path` (with its query) without its project segment, and the project; nil when it has none.
    public static func split(_ path: String) -> (path: String, project: String)? {
        guard let prefix = prefixes.first(where: { path.hasPrefix($0) }) else { return nil }
        let rest = path.dropFirst(prefix.count)
        let segmentEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let segment = rest[..<segmentEnd]
        guard !segment.isEmpty, segment.allSatisfy({ $0.isHexDigit && !$0.isUppercase || $0 == "-" }) else {
            return nil
        }
        // "/compute/v2.1/<project>/servers?x" -> "/compute/v2.1/servers?x"; "/compute/v2.1/<project>" -> "/compute/v2.1".
        return (String(prefix.dropLast()) + rest[segmentEnd...], String(segment))
    }

    /// The request as the router sees it: the project segment out of its path, into `header`.
    public static func routed(_ request: Request) -> Request {
        var head = request.head
        head.headerFields[header] = nil
        if let path = head.path, let (stripped, project) = split(path) {
            head.path = stripped
            head.headerFields[header] = project
        } else if request.headers[header] == nil {
            return request
        }
        return Request(head: head, body: request.body)
    }

    /// 400 in Nova's words when the URL named a project that is not the caller's.
    static func check(_ request: Request, callerProject: String?) throws(NovaError) {
        guard let project = request.headers[header], project != callerProject else { return }
        throw .badRequest(
            "Malformed request URL: URL's project_id '\(project)' doesn't match Context's project_id "
                + "'\(callerProject ?? "")'")
    }
}
