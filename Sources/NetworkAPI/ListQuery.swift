import APISupport
import Hummingbird
import NovaCore

/// Neutron's list parameters, applied to the views of one collection: attribute filters (several values of a
/// key are alternatives), `fields`, `sort_key`/`sort_dir`, and paging with `limit`, `marker` and
/// `page_reverse` with `<collection>_links`.
struct ListQuery {
    static let reserved: Set<String> = ["fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"]
    let query: QueryParameters

    init(_ query: QueryParameters) { self.query = query }

    /// The values a filter key was given (nil: not filtered on it).
    func values(_ key: String) -> [String]? {
        let all = query.all(key)
        return all.isEmpty ? nil : all
    }

    /// Filters, sorts, pages and projects `views` into the list body of `collection`.
    func respond(_ views: [JSONObject], collection: String, path: String, baseURL: String) throws -> JSON {
        var items = try filtered(views)
        items = try sorted(items)
        var links: [JSON] = []
        let limit = try CheckedInput.integer(query["limit"], field: "limit", in: 0...Int.max) ?? 0
        let reverse = query.flag("page_reverse") ?? false
        if let marker = query["marker"] {
            guard let index = items.firstIndex(where: { $0["id"]?.stringValue == marker }) else {
                throw NovaError.notFound("Marker \(marker) could not be found.")
            }
            items = reverse ? Array(items[..<index]) : Array(items[(index + 1)...])
            if let first = (reverse ? items.last : items.first)?["id"]?.stringValue {
                links.append(link(path: path, baseURL: baseURL, marker: first, limit: limit, previous: !reverse))
            }
        }
        if limit > 0, items.count > limit {
            items = reverse ? Array(items.suffix(limit)) : Array(items.prefix(limit))
            if let last = (reverse ? items.first : items.last)?["id"]?.stringValue {
                links.append(link(path: path, baseURL: baseURL, marker: last, limit: limit, previous: reverse))
            }
        }
        var body: JSONObject = [collection: .array(items.map { .object(project($0)) })]
        if !links.isEmpty { body[collection + "_links"] = .array(links) }
        return .object(body)
    }

    func link(path: String, baseURL: String, marker: String, limit: Int, previous: Bool) -> JSON {
        var parts = query.pairs.filter { !["marker", "page_reverse"].contains($0.0) }.map {
            QueryParameters.encode($0.0) + "=" + QueryParameters.encode($0.1)
        }
        parts.append("marker=" + QueryParameters.encode(marker))
        if previous { parts.append("page_reverse=True") }
        return [
            "rel": .string(previous ? "previous" : "next"),
            "href": .string(baseURL + path + "?" + parts.joined(separator: "&")),
        ]
    }

    /// The views whose attributes match every filter; 400 for a key no view has (Neutron's filter validation).
    func filtered(_ views: [JSONObject]) throws -> [JSONObject] {
        var result = views
        let keys = Set(query.keys).subtracting(Self.reserved)
        for key in keys.sorted() {
            let wanted = query.all(key)
            if key == "fixed_ips" {
                result = result.filter { view in wanted.allSatisfy { Self.matchesFixedIP(view, $0) } }
                continue
            }
            if let first = views.first, first[key] == nil {
                throw NovaError.badRequest("[\(key)] is invalid attribute for filtering")
            }
            result = result.filter { view in
                guard let value = view[key] else { return false }
                return wanted.contains { Self.matches(value, $0) }
            }
        }
        return result
    }

    /// `fixed_ips=ip_address=10.0.0.5`, `fixed_ips=subnet_id=<id>`, `fixed_ips=ip_address_substr=10.0`.
    static func matchesFixedIP(_ view: JSONObject, _ condition: String) -> Bool {
        let parts = condition.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let fixed = view["fixed_ips"]?.arrayValue else { return false }
        return fixed.contains { entry in
            switch parts[0] {
            case "ip_address_substr": entry["ip_address"]?.stringValue?.contains(parts[1]) ?? false
            default: entry[parts[0]]?.stringValue == parts[1]
            }
        }
    }

    static func matches(_ value: JSON, _ text: String) -> Bool {
        switch value {
        case .string(let string): return string == text
        case .bool(let flag): return ["true", "1"].contains(text.lowercased()) == flag
        case .int(let number): return String(number) == text
        case .null: return text.isEmpty || text.lowercased() == "none"
        case .array(let items): return items.contains { matches($0, text) }
        default: return false
        }
    }

    func sorted(_ views: [JSONObject]) throws -> [JSONObject] {
        var keys = query.all("sort_key")
        let directions = query.all("sort_dir").map { $0.lowercased() }
        guard directions.allSatisfy({ $0 == "asc" || $0 == "desc" }) else {
            throw NovaError.badRequest("Sort direction specified is not valid: use asc or desc")
        }
        if keys.isEmpty, query["limit"] != nil || query["marker"] != nil { keys = ["id"] }
        guard !keys.isEmpty else { return views }
        if let first = views.first, let unknown = keys.first(where: { first[$0] == nil }) {
            throw NovaError.badRequest("\(unknown) is an invalid attribute for sort_key")
        }
        if !keys.contains("id") { keys.append("id") }
        return views.sorted { left, right in
            for (index, key) in keys.enumerated() {
                let descending = index < directions.count && directions[index] == "desc"
                let a = Self.sortText(left[key])
                let b = Self.sortText(right[key])
                if a != b { return descending ? a > b : a < b }
            }
            return false
        }
    }

    static func sortText(_ value: JSON?) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number.saturatingAdd(1 << 62)).leftPaddedForSort
        case .bool(let flag): flag ? "1" : "0"
        default: ""
        }
    }

    /// The view with only the `fields` asked for (all when none are).
    func project(_ view: JSONObject) -> JSONObject {
        let fields = query.all("fields").flatMap { $0.split(separator: ",").map(String.init) }
        guard !fields.isEmpty else { return view }
        return JSONObject(view.entries.filter { fields.contains($0.0) })
    }
}

extension String {
    fileprivate var leftPaddedForSort: String { String(repeating: "0", count: max(0, 20 - count)) + self }
}
