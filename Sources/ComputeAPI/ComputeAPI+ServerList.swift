import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

extension ComputeAPI {
    /// Query parameters `GET /servers` accepts (2.75+ rejects the rest: `QueryParameterRules`).
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
        "name", "display_name", "image", "image_ref", "flavor", "ip", "ip6", "availability_zone", "key_name", "locked",
        "tags", "tags-any", "not-tags", "not-tags-any", "sort_key", "sort_dir", "reservation_id", "user_id",
        "vm_state", "task_state", "power_state", "node", "hostname", "launched_at", "terminated_at", "created_at",
        "config_drive", "description", "display_description", "access_ip_v4", "access_ip_v6", "progress",
        "launch_index", "locked_by",
    ]

    func listServers(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> Response {
        let caller = try context.caller()
        // Members' other filters are dropped, as Nova's remove_invalid_options does.
        let allowed = Self.memberSearchOptions(context.apiVersion)
        let query = caller.isAdmin ? request.query : request.query.filter { allowed.contains($0) }
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
}
