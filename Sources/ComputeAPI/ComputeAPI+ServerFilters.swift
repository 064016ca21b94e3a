import APISupport
import Foundation
import NovaCore

/// The server list's filters and sorts that run on the loaded instances (Nova's instance_get_all_by_filters:
/// exact matches, regular expressions searched in the column's text, tags, and the sort keys).
extension ComputeAPI {
    /// Nova's _get_server_search_options: what a member may filter by at `version` (admins may use every one);
    /// paging and sorting always.
    static func memberSearchOptions(_ version: APIVersion) -> Set<String> {
        var options: Set<String> = [
            "reservation_id", "name", "status", "image", "flavor", "ip", "changes-since", "all_tenants", "limit",
            "marker", "sort_key", "sort_dir",
        ]
        if version >= APIVersion(2, 5) { options.insert("ip6") }
        if version >= APIVersion(2, 26) { options.formUnion(["tags", "tags-any", "not-tags", "not-tags-any"]) }
        if version >= APIVersion(2, 66) { options.insert("changes-before") }
        if version >= APIVersion(2, 73) { options.insert("locked") }
        if version >= APIVersion(2, 83) {
            options.formUnion([
                "availability_zone", "config_drive", "key_name", "created_at", "launched_at", "terminated_at",
                "power_state", "task_state", "vm_state", "progress", "user_id",
            ])
        }
        if version >= APIVersion(2, 90) { options.insert("hostname") }
        return options
    }

    /// Filters Nova compares whole (a value, or any of the values given).
    static let exactFilters: [String: @Sendable (Instance) -> String?] = [
        "user_id": \.userID, "vm_state": { $0.vmState.rawValue }, "task_state": { $0.taskState?.rawValue },
        "availability_zone": \.availabilityZone, "launch_index": { String($0.launchIndex) },
    ]

    /// Filters Nova matches as regular expressions anywhere in the column's text.
    static let searchedFilters: [String: @Sendable (Instance) -> String?] = [
        "hostname": \.hostname, "node": \.node, "key_name": \.keyName, "description": \.description,
        "display_description": \.description, "access_ip_v4": \.accessIPv4, "access_ip_v6": \.accessIPv6,
        "power_state": { String($0.powerState.rawValue) }, "progress": { String($0.progress) },
        "config_drive": \.configDrive, "locked_by": \.lockedBy,
        "launched_at": { $0.launchedAt.map(VersionedNotification.timestamp) },
        "terminated_at": { $0.terminatedAt.map(VersionedNotification.timestamp) },
        "created_at": { VersionedNotification.timestamp($0.createdAt) },
    ]

    static func regex(_ pattern: String, field: String) throws -> SearchPattern {
        guard let regex = SearchPattern(pattern) else {
            throw NovaError.badRequest("Invalid regular expression for \(field): \(pattern)")
        }
        return regex
    }

    /// The filters applied in memory after the database query.
    static func applyFilters(_ instances: [Instance], _ query: QueryParameters, _ context: NovaRequestContext) throws
        -> [Instance]
    {
        var result = instances
        if let pattern = query["name"] ?? query["display_name"] {
            let regex = try regex(pattern, field: "name")
            result = result.filter { regex.matches($0.displayName) }
        }
        if let image = query["image"] ?? query["image_ref"] {
            let id = image.split(separator: "/").last.map(String.init) ?? image
            result = result.filter { $0.imageRef == id }
        }
        if let flavor = query["flavor"] {
            let id = flavor.split(separator: "/").last.map(String.init) ?? flavor
            result = result.filter { $0.flavor.id == id }
        }
        for (key, version) in [("ip", 4), ("ip6", 6)] {
            guard let pattern = query[key] else { continue }
            let regex = try regex(pattern, field: key)
            result = result.filter { instance in
                (instance.addresses ?? []).contains {
                    ($0.address.contains(":") ? 6 : 4) == version && regex.matches($0.address)
                }
            }
        }
        for (key, value) in exactFilters {
            let wanted = Set(query.all(key))
            guard !wanted.isEmpty else { continue }
            result = result.filter { value($0).map(wanted.contains) ?? false }
        }
        for (key, value) in searchedFilters {
            guard let pattern = query[key] else { continue }
            let regex = try regex(pattern, field: key)
            result = result.filter { value($0).map(regex.matches) ?? false }
        }
        if let locked = query.flag("locked"), context.apiVersion >= APIVersion(2, 73) {
            result = result.filter { $0.locked == locked }
        }
        if context.apiVersion >= APIVersion(2, 26) {
            func tags(_ key: String) -> [String]? {
                query[key].map { $0.split(separator: ",").map(String.init) }
            }
            if let all = tags("tags") { result = result.filter { Set(all).isSubset(of: $0.tags) } }
            if let any = tags("tags-any") { result = result.filter { !Set(any).isDisjoint(with: $0.tags) } }
            if let none = tags("not-tags") { result = result.filter { !Set(none).isSubset(of: $0.tags) } }
            if let none = tags("not-tags-any") { result = result.filter { Set(none).isDisjoint(with: $0.tags) } }
        }
        return try sortedServers(result, query, context)
    }

    /// Sort keys Nova takes and ignores (its SERVER_LIST_IGNORE_SORT_KEY; `locked` is a key from 2.73).
    static let ignoredSortKeys: Set<String> = [
        "architecture", "cell_name", "cleaned", "default_ephemeral_device", "default_swap_device", "deleted",
        "deleted_at", "disable_terminate", "ephemeral_gb", "ephemeral_key_uuid", "id", "key_data", "launched_on",
        "memory_mb", "os_type", "reservation_id", "root_gb", "shutdown_terminate", "user_data", "vcpus", "vm_mode",
    ]

    /// Nova's sort keys, each as text that sorts as the column does.
    static let sortKeys: [String: @Sendable (Instance) -> String] = [
        "access_ip_v4": \.accessIPv4, "access_ip_v6": \.accessIPv6,
        "auto_disk_config": { $0.autoDiskConfig == true ? "1" : "0" },
        "availability_zone": { $0.availabilityZone ?? "" },
        "config_drive": \.configDrive, "created_at": { VersionedNotification.timestamp($0.createdAt) },
        "display_description": { $0.description ?? "" }, "display_name": \.displayName, "host": { $0.host ?? "" },
        "hostname": \.hostname, "image_ref": \.imageRef, "instance_type_id": { $0.flavor.id }, "kernel_id": { _ in "" },
        "key_name": { $0.keyName ?? "" }, "launch_index": { String(format: "%010d", $0.launchIndex) },
        "launched_at": { $0.launchedAt.map(VersionedNotification.timestamp) ?? "" }, "locked_by": { $0.lockedBy ?? "" },
        "node": { $0.node ?? "" }, "power_state": { String(format: "%03d", $0.powerState.rawValue) },
        "progress": { String(format: "%03d", $0.progress) }, "project_id": \.projectID, "ramdisk_id": { _ in "" },
        "root_device_name": { _ in "/dev/vda" }, "task_state": { $0.taskState?.rawValue ?? "" },
        "terminated_at": { $0.terminatedAt.map(VersionedNotification.timestamp) ?? "" },
        "updated_at": { VersionedNotification.timestamp($0.updatedAt) }, "user_id": \.userID, "uuid": \.uuid,
        "vm_state": { $0.vmState.rawValue }, "name": \.displayName, "locked": { $0.locked ? "1" : "0" },
    ]

    /// Nova's get_sort_params: `sort_key`s with their `sort_dir`s (desc when not given), then created_at and
    /// uuid descending. Ignored keys drop out with their direction; host and node are for admins only (403).
    static func sortedServers(_ instances: [Instance], _ query: QueryParameters, _ context: NovaRequestContext) throws
        -> [Instance]
    {
        var keys = query.all("sort_key")
        guard !keys.isEmpty else { return instances }
        var directions = query.all("sort_dir")
        let isAdmin = (try? context.caller().isAdmin) == true
        var ignored = ignoredSortKeys
        if context.apiVersion < APIVersion(2, 73) { ignored.insert("locked") }
        var index = 0
        while index < keys.count {
            let key = keys[index]
            if ignored.contains(key) {
                keys.remove(at: index)
                if directions.count > index { directions.remove(at: index) }
                continue
            }
            guard sortKeys[key] != nil, key != "locked" || context.apiVersion >= APIVersion(2, 73) else {
                throw NovaError.badRequest("Invalid input for query parameters sort_key. Value: \(key).")
            }
            if (key == "host" || key == "node"), !isAdmin {
                throw NovaError.forbidden("Only administrators can sort servers by \(key)")
            }
            index += 1
        }
        for direction in directions where direction != "asc" && direction != "desc" {
            throw NovaError.badRequest("Unknown sort direction, must be 'desc' or 'asc'")
        }
        var order: [(key: (Instance) -> String, ascending: Bool)] = []
        for (position, key) in keys.enumerated() {
            let direction = position < directions.count ? directions[position] : (directions.last ?? "desc")
            order.append((sortKeys[key]!, direction == "asc"))
        }
        if !keys.contains("created_at") { order.append((sortKeys["created_at"]!, false)) }
        if !keys.contains("uuid") { order.append((sortKeys["uuid"]!, false)) }
        // Each server's sort values once, not in every comparison (times are formatted as text).
        let keyed = instances.map { instance in (instance, order.map { $0.key(instance) }) }
        return keyed.sorted { lhs, rhs in
            for (index, (_, ascending)) in order.enumerated() where lhs.1[index] != rhs.1[index] {
                return ascending ? lhs.1[index] < rhs.1[index] : lhs.1[index] > rhs.1[index]
            }
            return false
        }.map(\.0)
    }
}
