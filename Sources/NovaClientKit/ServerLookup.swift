import NovaCore

/// Finds a server by id or exact name, as novaclient's `find_resource` does; an ambiguous name is an error
/// listing the matches.
public enum ServerLookup {
    public static func find(_ nameOrID: String, in session: Session, allTenants: Bool = false) async throws -> JSON {
        if let server = try? await session.compute(.GET, "/servers/\(encode(nameOrID))")?["server"] {
            return server
        }
        let pattern = "^" + escapeRegex(nameOrID) + "$"
        var path = "/servers/detail?name=\(encode(pattern))"
        if allTenants { path += "&all_tenants=1" }
        let matches = try await session.compute(.GET, path)?["servers"]?.arrayValue ?? []
        switch matches.count {
        case 1: return matches[0]
        case 0: throw ClientError("No server with a name or ID of '\(nameOrID)' exists.")
        default:
            let ids = matches.compactMap { $0["id"]?.stringValue }.joined(separator: ", ")
            throw ClientError("Multiple servers match '\(nameOrID)': \(ids). Use an ID.")
        }
    }

    /// Nova matches `name` as a regular expression: escape it to match literally.
    public static func escapeRegex(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    public static func encode(_ text: String) -> String { PercentEncoding.encode(text) }
}
