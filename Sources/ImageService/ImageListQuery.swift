import APISupport
import Foundation
import NovaCore
import NovaDB

/// The filters and sorts of Glance's `GET /v2/images` beyond id, name, status, visibility, owner and tag: the
/// formats, size bounds, protection, and any other key as a property of that name (Glance flattens additional
/// properties into the query); `sort_key`/`sort_dir` pairs or `sort=key:dir,...`.
enum ImageListQuery {
    /// Parameters with meanings of their own, never taken as property filters.
    static let parameters: Set<String> = [
        "limit", "marker", "name", "visibility", "member_status", "owner", "status", "size_min", "size_max",
        "protected", "os_hidden", "tag", "id", "sort_key", "sort_dir", "sort", "created_at", "updated_at",
        "container_format", "disk_format",
    ]

    static let sortKeys: [String: @Sendable (ImageRecord) -> SortValue] = [
        "created_at": { .number($0.createdAt.timeIntervalSince1970) },
        "updated_at": { .number($0.updatedAt.timeIntervalSince1970) }, "name": { .text($0.name ?? "") },
        "id": { .text($0.id) }, "status": { .text($0.status) }, "visibility": { .text($0.visibility) },
        "owner": { .text($0.owner ?? "") }, "container_format": { .text($0.containerFormat ?? "") },
        "disk_format": { .text($0.diskFormat ?? "") }, "size": { .number(Double($0.size ?? 0)) },
        "virtual_size": { .number(Double($0.virtualSize ?? 0)) }, "min_disk": { .number(Double($0.minDisk)) },
        "min_ram": { .number(Double($0.minRAM)) },
    ]

    enum SortValue: Comparable, Sendable {
        case number(Double)
        case text(String)
    }

    static func filtered(_ images: [ImageRecord], _ query: QueryParameters) throws -> [ImageRecord] {
        var result = images
        if let format = query["disk_format"] { result = result.filter { $0.diskFormat == format } }
        if let format = query["container_format"] { result = result.filter { $0.containerFormat == format } }
        if let text = query["size_min"] {
            let minimum = try CheckedInput.integer(text, field: "size_min", in: 0...Int.max) ?? 0
            result = result.filter { ($0.size ?? 0) >= minimum }
        }
        if let text = query["size_max"] {
            let maximum = try CheckedInput.integer(text, field: "size_max", in: 0...Int.max) ?? Int.max
            result = result.filter { ($0.size ?? 0) <= maximum }
        }
        if let text = query["protected"] {
            guard let wanted = query.flag("protected") else {
                throw NovaError.badRequest(
                    "Invalid value '\(text)' for 'protected' filter. Valid values are 'true' or 'false'.")
            }
            result = result.filter { $0.protected == wanted }
        }
        for key in Set(query.keys).subtracting(parameters) {
            let wanted = query[key]
            result = result.filter { $0.properties[key] == wanted }
        }
        return try sorted(result, query)
    }

    /// Glance's default is created_at then id, newest first.
    static func sorted(_ images: [ImageRecord], _ query: QueryParameters) throws -> [ImageRecord] {
        var order: [(String, Bool)] = []
        if let sort = query["sort"] {
            for item in sort.split(separator: ",") {
                let parts = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                order.append((parts[0], (parts.count > 1 ? parts[1] : "desc") == "asc"))
                if parts.count > 1, parts[1] != "asc", parts[1] != "desc" {
                    throw NovaError.badRequest("Invalid sort direction: \(parts[1])")
                }
            }
        } else {
            let keys = query.all("sort_key")
            let directions = query.all("sort_dir")
            for direction in directions where direction != "asc" && direction != "desc" {
                throw NovaError.badRequest("Invalid sort direction: \(direction)")
            }
            for (index, key) in keys.enumerated() {
                let direction = index < directions.count ? directions[index] : (directions.first ?? "desc")
                order.append((key, direction == "asc"))
            }
        }
        guard !order.isEmpty else { return images }
        for (key, _) in order where sortKeys[key] == nil {
            throw NovaError.badRequest("Invalid sort key: \(key)")
        }
        if !order.contains(where: { $0.0 == "created_at" }) { order.append(("created_at", false)) }
        if !order.contains(where: { $0.0 == "id" }) { order.append(("id", false)) }
        return images.sorted { lhs, rhs in
            for (key, ascending) in order {
                let value = sortKeys[key]!
                let left = value(lhs)
                let right = value(rhs)
                if left != right { return ascending ? left < right : left > right }
            }
            return false
        }
    }
}
