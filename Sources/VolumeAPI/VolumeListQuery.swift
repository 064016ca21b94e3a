import APISupport
import Hummingbird
import NovaCore

/// Cinder's list parameters over the views of one collection: filters on the attributes each list allows,
/// `sort` (`key:dir,...`) or `sort_key`/`sort_dir` (newest first by default), `limit`, `marker`, `offset`, a
/// `<collection>_links` next link when a page is full, and `with_count` (3.45).
struct VolumeListQuery {
    static let reserved: Set<String> = [
        "limit", "marker", "sort", "sort_key", "sort_dir", "offset", "all_tenants", "with_count", "project_id",
    ]
    let query: QueryParameters
    let version: APIVersion

    init(_ query: QueryParameters, version: APIVersion) {
        self.query = query
        self.version = version
    }

    /// Everyone's resources: an admin's `all_tenants`.
    func allProjects(_ caller: Credentials) -> Bool {
        caller.isAdmin && (query.flag("all_tenants") ?? query.contains("all_tenants"))
    }

    /// Filters, sorts and pages `views` (detail views: each has the keys filtered and sorted on) into the list
    /// body of `collection`; `summary` (when given) makes the items of the plain list. `hidden` keys are there
    /// to filter and sort on only, and left out of the body.
    func respond(
        _ views: [JSONObject], collection: String, filters: Set<String>, path: String, baseURL: String,
        summary: ((JSONObject) -> JSONObject)? = nil, hidden: Set<String> = []
    ) throws -> JSON {
        var items = try filtered(views, allowed: filters)
        let count = items.count
        items = try sorted(items)
        if let marker = query["marker"] {
            guard let index = items.firstIndex(where: { $0["id"]?.stringValue == marker }) else {
                throw NovaError.badRequest("Marker \(marker) could not be found.")
            }
            items = Array(items[(index + 1)...])
        }
        let offset = try CheckedInput.integer(query["offset"], field: "offset", in: CheckedInput.databaseRange) ?? 0
        items = Array(items.dropFirst(offset))
        let limit = try CheckedInput.integer(query["limit"], field: "limit", in: CheckedInput.databaseRange)
        var body: JSONObject = [:]
        let pageSize = min(limit ?? 1000, 1000)
        if items.count > pageSize {
            items = Array(items.prefix(pageSize))
            if let last = items.last?["id"]?.stringValue {
                body[collection + "_links"] = [
                    ["rel": "next", "href": .string(nextLink(path: path, baseURL: baseURL, marker: last))]
                ]
            }
        }
        body[collection] = .array(
            items.map { item in
                var shown = summary?(item) ?? item
                for key in hidden { shown[key] = nil }
                return .object(shown)
            })
        if version >= APIVersion(3, 45), query.flag("with_count") == true { body["count"] = .int(count) }
        return .object(body)
    }

    func nextLink(path: String, baseURL: String, marker: String) -> String {
        var parts = query.pairs.filter { $0.0 != "marker" && $0.0 != "offset" }.map {
            QueryParameters.encode($0.0) + "=" + QueryParameters.encode($0.1)
        }
        parts.append("marker=" + QueryParameters.encode(marker))
        return baseURL + path + "?" + parts.joined(separator: "&")
    }

    /// The views matching every filter; 400 naming the keys this list does not filter on.
    func filtered(_ views: [JSONObject], allowed: Set<String>) throws -> [JSONObject] {
        let keys = Set(query.keys).subtracting(Self.reserved)
        let invalid = keys.subtracting(allowed)
        if !invalid.isEmpty {
            throw NovaError.badRequest(
                "Invalid filters \(invalid.sorted().joined(separator: ", ")) are found in query options.")
        }
        var result = views
        for key in keys.sorted() {
            let wanted = query[key] ?? ""
            if key == "metadata" {
                let pairs = try Self.metadataFilter(wanted)
                result = result.filter { view in
                    pairs.allSatisfy { view["metadata"]?[$0.key]?.stringValue == $0.value }
                }
                continue
            }
            result = result.filter { view in Self.matches(view[key], wanted) }
        }
        return result
    }

    /// `metadata={'k': 'v'}` as the clients send it (a Python dict's text) or as JSON.
    static func metadataFilter(_ text: String) throws -> [String: String] {
        let json = JSON.parse(Array(text.replacingOccurrences(of: "'", with: "\"").utf8))
        guard let object = json?.objectValue else {
            throw NovaError.badRequest("Invalid filter metadata: \(text.prefix(64)) is not a dictionary.")
        }
        var pairs: [String: String] = [:]
        for (key, value) in object.entries { pairs[key] = value.stringValue ?? value.serialized() }
        return pairs
    }

    static func matches(_ value: JSON?, _ wanted: String) -> Bool {
        switch value {
        case .string(let text)?: text == wanted || text.lowercased() == wanted.lowercased() && isFlag(wanted)
        case .bool(let flag)?: String(flag) == wanted.lowercased()
        case .int(let number)?: String(number) == wanted
        case nil, .null?: wanted.isEmpty || wanted.lowercased() == "none"
        default: false
        }
    }

    static func isFlag(_ text: String) -> Bool { ["true", "false"].contains(text.lowercased()) }

    /// `sort=name:asc,created_at` or `sort_key`/`sort_dir`; newest first by default.
    func sorted(_ items: [JSONObject]) throws -> [JSONObject] {
        var keys: [(String, Bool)] = []
        if let sort = query["sort"] {
            for part in sort.split(separator: ",") {
                let pieces = part.split(separator: ":", maxSplits: 1).map {
                    String($0).trimmingCharacters(in: .whitespaces)
                }
                keys.append((pieces[0], try Self.ascending(pieces.count > 1 ? pieces[1] : "desc")))
            }
        } else if let key = query["sort_key"] {
            keys.append((key, try Self.ascending(query["sort_dir"] ?? "desc")))
        }
        if keys.isEmpty { keys = [("created_at", false)] }
        for (key, _) in keys where !(items.first.map { $0[key] != nil } ?? true) {
            throw NovaError.badRequest("Invalid sort key \(key).")
        }
        keys.append(("id", keys.last?.1 ?? false))
        return items.sorted { left, right in
            for (key, ascending) in keys {
                let a = Self.sortText(left[key])
                let b = Self.sortText(right[key])
                if a != b { return ascending ? a < b : a > b }
            }
            return false
        }
    }

    static func ascending(_ direction: String) throws -> Bool {
        switch direction.lowercased() {
        case "asc": return true
        case "desc": return false
        default: throw NovaError.badRequest("Invalid sort dirs passed: \(direction.prefix(32))")
        }
    }

    static func sortText(_ value: JSON?) -> String {
        switch value {
        case .int(let number)?: String(repeating: "0", count: max(0, 20 - String(number).count)) + String(number)
        case .string(let text)?: text
        case let other?: other.serialized()
        case nil: ""
        }
    }
}
