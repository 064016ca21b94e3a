import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

extension ComputeAPI {
    /// Query parameters `GET /servers` accepts (2.75+ rejects the rest).
    static let serverListParameters: Set<String> = [
        "user_id", "project_id", "tenant_id", "launch_index", "image_ref", "image", "kernel_id", "ramdisk_id",
        "hostname", "key_name", "power_state", "vm_state", "task_state", "host", "node", "flavor", "reservation_id",
        "launched_at", "terminated_at", "availability_zone", "name", "display_name", "description", "created_at",
        "updated_at", "config_drive", "access_ip_v4", "access_ip_v6", "status", "changes-since", "changes-before",
        "ip", "ip6", "all_tenants", "deleted", "locked", "tags", "tags-any", "not-tags", "not-tags-any", "uuid",
        "limit", "marker", "sort_key", "sort_dir", "soft_deleted", "progress", "pinned_availability_zone",
    ]

    /// Filters applied after the query: with any of these the page is cut in memory.
    static let inMemoryParameters: Set<String> = [
        "name", "display_name", "image", "image_ref", "flavor", "ip", "availability_zone", "key_name", "locked", "tags",
        "tags-any", "not-tags", "not-tags-any", "sort_key", "sort_dir", "reservation_id",
    ]

    func listServers(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> Response {
        let caller = try context.caller()
        let query = request.query
        if context.apiVersion >= APIVersion(2, 75),
            let unknown = query.keys.first(where: { !Self.serverListParameters.contains($0) })
        {
            throw NovaError.badRequest(
                "Invalid input for query parameters \(unknown). Additional properties are not allowed ('\(unknown)' was unexpected)"
            )
        }
        var filter = InstanceListQuery(projectID: caller.projectID)
        if query.contains("all_tenants") {
            try PolicyRule.admin.enforce(
                "os_compute_api:servers:\(detail ? "detail" : "index"):get_all_tenants", caller)
            let value = query["all_tenants"] ?? ""
            if value.isEmpty || query.flag("all_tenants") != false {
                filter.projectID = query["project_id"] ?? query["tenant_id"]
            }
        }
        if caller.isAdmin {
            filter.host = query["host"]
            if query.flag("deleted") == true { filter.onlyDeleted = true }
        }
        if let text = query["changes-since"] {
            guard let date = Timestamp.parse(text) else {
                throw NovaError.badRequest(
                    "Invalid input for query parameters changes-since. Value: \(text). '\(text)' is not a 'date-time'")
            }
            filter.changesSince = date
            filter.includeDeleted = true
        }
        if let text = query["changes-before"], context.apiVersion >= APIVersion(2, 66) {
            guard let date = Timestamp.parse(text) else {
                throw NovaError.badRequest(
                    "Invalid input for query parameters changes-before. Value: \(text). '\(text)' is not a 'date-time'")
            }
            if let since = filter.changesSince, date < since {
                throw NovaError.badRequest("The value of changes-since must be less than or equal to changes-before.")
            }
            filter.changesBefore = date
            filter.includeDeleted = true
        }
        let statuses = query.all("status")
        if !statuses.isEmpty {
            var states: [VMState] = []
            for status in statuses {
                guard let matching = ServerStatus.vmStates(forStatus: status) else {
                    if caller.isAdmin { throw NovaError.badRequest("Invalid status value") }
                    return Response.json(detail ? ["servers": []] : ["servers": []])
                }
                states += matching
            }
            filter.vmStates = states
        }
        if let uuid = query["uuid"] { filter.uuids = [uuid] }
        filter.reservationID = query["reservation_id"]
        let page = try Page(query, maxLimit: config.maxLimit)
        let items: [Instance]
        let full: Bool
        if Self.inMemoryParameters.isDisjoint(with: query.keys) {
            // Only database filters: the page itself comes from SQL.
            if let marker = page.marker {
                guard let after = try await store.instance(uuid: marker) else {
                    throw NovaError.badRequest("marker [\(marker)] not found")
                }
                filter.after = (after.createdAt, after.uuid)
            }
            filter.limit = page.limit + 1
            let rows = try await store.listInstances(filter)
            items = Array(rows.prefix(page.limit))
            full = rows.count > page.limit
        } else {
            let instances = try Self.applyFilters(try await store.listInstances(filter), query, context)
            (items, full) = try page.apply(instances, id: \.uuid)
        }
        let builder = try await viewBuilder(request, context)
        var body = JSONObject()
        body.append("servers", .array(items.map { detail ? builder.detail($0) : builder.summary($0) }))
        if full, let last = items.last {
            body.append(
                "servers_links", Page.nextLink(request, base: base(request), lastID: last.uuid, limit: page.limit))
        }
        return Response.json(.object(body))
    }

    /// The filters applied in memory after the database query.
    static func applyFilters(_ instances: [Instance], _ query: QueryParameters, _ context: NovaRequestContext) throws
        -> [Instance]
    {
        var result = instances
        if let pattern = query["name"] ?? query["display_name"] {
            guard let regex = try? Regex(pattern) else {
                throw NovaError.badRequest("Invalid regular expression for name: \(pattern)")
            }
            result = result.filter { $0.displayName.contains(regex) }
        }
        if let image = query["image"] ?? query["image_ref"] {
            let id = image.split(separator: "/").last.map(String.init) ?? image
            result = result.filter { $0.imageRef == id }
        }
        if let flavor = query["flavor"] {
            let id = flavor.split(separator: "/").last.map(String.init) ?? flavor
            result = result.filter { $0.flavor.id == id }
        }
        if let ip = query["ip"] {
            guard let regex = try? Regex(ip) else {
                throw NovaError.badRequest("Invalid regular expression for ip: \(ip)")
            }
            result = result.filter { ($0.addresses ?? []).contains { $0.address.contains(regex) } }
        }
        if let zone = query["availability_zone"] { result = result.filter { $0.availabilityZone == zone } }
        if let key = query["key_name"] { result = result.filter { $0.keyName == key } }
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
        if let sortKey = query["sort_key"] {
            let ascending = query["sort_dir"] == "asc"
            let key: (Instance) -> String
            switch sortKey {
            case "display_name", "name": key = { $0.displayName }
            case "created_at": key = { String(format: "%020.6f", $0.createdAt.timeIntervalSince1970) }
            case "updated_at": key = { String(format: "%020.6f", $0.updatedAt.timeIntervalSince1970) }
            case "uuid": key = { $0.uuid }
            case "vm_state": key = { $0.vmState.rawValue }
            case "host":
                guard (try? context.caller().isAdmin) == true else {
                    throw NovaError.forbidden("Only administrators can sort servers by host")
                }
                key = { $0.host ?? "" }
            default: throw NovaError.badRequest("Invalid sort_key \(sortKey)")
            }
            result.sort { ascending ? key($0) < key($1) : key($0) > key($1) }
        }
        return result
    }
}
