import APISupport
import Hummingbird
import NovaCore

/// The query parameters each Compute API route takes, and the microversion from which it answers 400 to any
/// other (Nova's `query_schema`s with `additionalProperties: False`). A GET route not listed takes none from
/// 2.102, where Nova closed every route's query. Handlers still check the values they read.
struct QueryParameterRules: Sendable {
    struct Rule: Sendable {
        /// Parameters taken, each from the microversion that added it.
        var parameters: [(name: String, from: APIVersion)]
        /// From this microversion an unknown parameter is a 400; nil: never (routes removed before 2.102).
        var strictFrom: APIVersion?

        init(_ names: [String], strictFrom: APIVersion?, adding later: [(String, APIVersion)] = []) {
            parameters = names.map { ($0, APIVersion.minimum) } + later.map { (name: $0.0, from: $0.1) }
            self.strictFrom = strictFrom
        }

        func allows(_ name: String, at version: APIVersion) -> Bool {
            parameters.contains { $0.name == name && version >= $0.from }
        }
    }

    static let v275 = APIVersion(2, 75)
    static let v2102 = APIVersion(2, 102)
    static let closedByDefault = Rule([], strictFrom: v2102)

    /// Keyed by method and route, as the router names it (`GET /compute/v2.1/servers/{id}`).
    static let rules: [String: Rule] = {
        var rules: [String: Rule] = [:]
        func add(_ method: String, _ paths: [String], _ rule: Rule) {
            for path in paths { rules["\(method) /compute/v2.1/\(path)"] = rule }
        }
        let servers = Rule(Array(ComputeAPI.serverListParameters), strictFrom: v275)
        add("GET", ["servers", "servers/detail", "os-volumes_boot", "os-volumes_boot/detail"], servers)
        add(
            "GET", ["flavors", "flavors/detail"],
            Rule(
                ["limit", "marker", "is_public", "minRam", "minDisk", "sort_key", "sort_dir"], strictFrom: v275,
                adding: [("name", v2102)]))
        let hypervisors = APIVersion(2, 53)
        add(
            "GET", ["os-hypervisors", "os-hypervisors/detail"],
            Rule(
                [], strictFrom: hypervisors,
                adding: [
                    ("limit", hypervisors), ("marker", hypervisors), ("hypervisor_hostname_pattern", hypervisors),
                    ("with_servers", hypervisors),
                ]))
        add("GET", ["os-hypervisors/{id}"], Rule([], strictFrom: hypervisors, adding: [("with_servers", hypervisors)]))
        let actions = APIVersion(2, 58)
        add(
            "GET", ["servers/{id}/os-instance-actions"],
            Rule(
                [], strictFrom: actions,
                adding: [
                    ("limit", actions), ("marker", actions), ("changes-since", actions),
                    ("changes-before", APIVersion(2, 66)),
                ]))
        add(
            "GET", ["os-keypairs"],
            Rule(
                [], strictFrom: v275,
                adding: [("user_id", APIVersion(2, 10)), ("limit", APIVersion(2, 35)), ("marker", APIVersion(2, 35))]))
        add("GET", ["os-keypairs/{name}"], Rule([], strictFrom: v275, adding: [("user_id", APIVersion(2, 10))]))
        add("DELETE", ["os-keypairs/{name}"], Rule([], strictFrom: v275, adding: [("user_id", APIVersion(2, 10))]))
        add("GET", ["limits"], Rule(["tenant_id"], strictFrom: v275))
        let paged = APIVersion(2, 59)
        add(
            "GET", ["os-migrations"],
            Rule(
                ["hidden", "host", "instance_uuid", "source_compute", "status", "migration_type"], strictFrom: paged,
                adding: [
                    ("limit", paged), ("marker", paged), ("changes-since", paged),
                    ("changes-before", APIVersion(2, 66)), ("user_id", APIVersion(2, 80)),
                    ("project_id", APIVersion(2, 80)),
                ]))
        let userQuota = Rule(["user_id"], strictFrom: v275)
        add("GET", ["os-quota-sets/{project}", "os-quota-sets/{project}/detail"], userQuota)
        add("PUT", ["os-quota-sets/{project}"], userQuota)
        add("DELETE", ["os-quota-sets/{project}"], userQuota)
        add("GET", ["os-server-groups"], Rule(["all_projects", "limit", "offset"], strictFrom: v275))
        add("GET", ["os-services"], Rule(["host", "binary"], strictFrom: v275))
        let usagePaging = APIVersion(2, 40)
        add(
            "GET", ["os-simple-tenant-usage"],
            Rule(
                ["start", "end", "detailed"], strictFrom: v275,
                adding: [("limit", usagePaging), ("marker", usagePaging)]))
        add(
            "GET", ["os-simple-tenant-usage/{project}"],
            Rule(["start", "end"], strictFrom: v275, adding: [("limit", usagePaging), ("marker", usagePaging)]))
        add("GET", ["servers/{id}/os-volume_attachments"], Rule(["limit", "offset"], strictFrom: v275))
        add("GET", ["os-console-auth-tokens/{token}"], Rule([], strictFrom: APIVersion(2, 99)))
        add("GET", ["servers/{id}/shares", "servers/{id}/shares/{share}"], Rule([], strictFrom: .minimum))
        // Proxies removed at 2.36 (and os-hosts at 2.43): their queries were never closed.
        add(
            "GET", ["images", "images/detail"],
            Rule(
                [
                    "name", "status", "changes-since", "server", "type", "minRam", "minDisk", "limit", "page_size",
                    "marker", "offset",
                ], strictFrom: nil))
        add("GET", ["os-security-groups"], Rule(["limit", "offset", "all_tenants"], strictFrom: nil))
        add(
            "GET", ["os-volumes", "os-volumes/detail", "os-snapshots", "os-snapshots/detail"],
            Rule(["limit", "offset"], strictFrom: nil))
        add("GET", ["os-hosts"], Rule(["zone"], strictFrom: nil))
        return rules
    }()

    /// The rule of a route: listed, or (GET) closed from 2.102; nil: the route's query is not checked.
    static func rule(method: String, endpoint: String) -> Rule? {
        rules["\(method) \(endpoint)"] ?? (method == "GET" ? closedByDefault : nil)
    }

    /// 400 for the first parameter the route does not take at `version`.
    static func check(_ query: QueryParameters, method: String, endpoint: String, version: APIVersion)
        throws(NovaError)
    {
        guard let rule = rule(method: method, endpoint: endpoint), let strict = rule.strictFrom, version >= strict
        else { return }
        for name in query.keys where !rule.allows(name, at: version) {
            throw .badRequest(
                "Invalid input for query parameters \(name). Additional properties are not allowed ('\(name)' was unexpected)"
            )
        }
    }
}

/// Rules every Compute API route keeps, run once the router has matched it: a path with a trailing slash is
/// not found (the router would take `/servers/` for `/servers`; Nova's does not, so `/os-volumes/` is a show
/// without an id, 404), and `QueryParameterRules`.
struct ComputeRouteMiddleware: RouterMiddleware {
    typealias Context = NovaRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if request.uri.path.hasSuffix("/") { throw NovaError.notFound("The resource could not be found.") }
        if request.uri.query?.isEmpty == false {
            try QueryParameterRules.check(
                request.query, method: request.method.rawValue, endpoint: context.endpointPath ?? "",
                version: context.apiVersion)
        }
        return try await next(request, context)
    }
}
