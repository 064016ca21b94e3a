import APISupport
import Foundation
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

/// The Neutron v2.0 subset under `/networking`: networks, subnets, ports, security groups and their rules,
/// routers, floating IPs, quotas, extensions and version discovery. Each change is stored first, then told to the mechanism driver
/// inside the same request.
public struct NetworkAPI: Sendable {
    let store: NetworkStore
    public let driver: any MechanismDriver
    let clock: any WallClock
    /// Nova, told of the changes to its servers' ports (nil: no one is told).
    let nova: NovaNotifier?

    public static let prefix = "networking"

    public init(
        store: NetworkStore, driver: any MechanismDriver, clock: any WallClock, nova: (any ServerEventSink)? = nil
    ) {
        self.nova = nova.map(NovaNotifier.init(sink:))
        self.store = store
        self.driver = driver
        self.clock = clock
    }

    var options: NetworkOptions { store.options }

    public func register(on router: Router<NovaRequestContext>) {
        router.get(RouterPath(stringLiteral: Self.prefix)) { request, _ in Response.json(versions(request)) }
        let v2 = router.group(RouterPath(stringLiteral: Self.prefix + "/v2.0"))
        v2.get("") { request, _ in Response.json(resources(request)) }
        v2.get("extensions") { _, _ in
            Response.json(["extensions": .array(NetworkExtensions.all.map(\.json))])
        }
        v2.get("extensions/{alias}") { _, context in
            let alias = context.parameter("alias")
            guard let found = NetworkExtensions.all.first(where: { $0.alias == alias }) else {
                throw NovaError.notFound("Extension with alias \(alias) does not exist")
            }
            return Response.json(["extension": found.json])
        }
        registerNetworks(on: v2)
        registerSubnets(on: v2)
        registerPorts(on: v2)
        registerPortBindings(on: v2)
        registerSecurityGroups(on: v2)
        registerRouters(on: v2)
        registerFloatingIPs(on: v2)
        registerAutoAllocation(on: v2)
        registerQuotas(on: v2)
    }

    func versions(_ request: Request) -> JSON {
        let href = request.baseURL(fallback: "") + "/\(Self.prefix)/v2.0/"
        return ["versions": [["id": "v2.0", "status": "CURRENT", "links": [["rel": "self", "href": .string(href)]]]]]
    }

    func resources(_ request: Request) -> JSON {
        let base = request.baseURL(fallback: "") + "/\(Self.prefix)/v2.0/"
        let collections = [
            ("network", "networks"), ("subnet", "subnets"), ("port", "ports"), ("security_group", "security-groups"),
            ("security_group_rule", "security-group-rules"), ("router", "routers"), ("floatingip", "floatingips"),
            ("quota", "quotas"),
        ]
        return [
            "resources": .array(
                collections.map { name, collection in
                    [
                        "name": .string(name),
                        "collection": .string(collection.replacingOccurrences(of: "-", with: "_")),
                        "links": [["rel": "self", "href": .string(base + collection)]],
                    ]
                })
        ]
    }

    // MARK: Shared by the handlers

    /// The one object of a request body (`{"network": {...}}`), refusing attributes the resource does not have.
    func body(_ request: Request, _ context: NovaRequestContext, resource: String, allowed: Set<String>) async throws
        -> JSONObject
    {
        let json = try await request.jsonBody(context: context)
        guard let object = json[resource]?.objectValue else {
            throw NovaError.badRequest("Resource body required: {\"\(resource)\": {...}}")
        }
        let unknown = object.keys.filter { !allowed.contains($0) }
        if !unknown.isEmpty {
            throw NovaError.badRequest("Unrecognized attribute(s) '\(unknown.sorted().joined(separator: ", "))'")
        }
        return object
    }

    /// The project a new resource belongs to: the caller's, or (admins only) the one the body names.
    func owner(_ body: JSONObject, _ caller: Credentials, resource: String) throws -> String {
        let named = try (body["project_id"] ?? body["tenant_id"]).map {
            try CheckedInput.text($0, field: "project_id", length: 1...255) ?? ""
        }
        if let tenant = body["tenant_id"]?.stringValue, let project = body["project_id"]?.stringValue,
            tenant != project
        {
            throw NovaError.badRequest("'project_id' and 'tenant_id' do not match")
        }
        guard let named, named != caller.projectID else { return caller.projectID }
        guard caller.isAdmin else { throw NovaError.policy("rule:create_\(resource):project_id") }
        return named
    }

    func flag(_ body: JSONObject, _ key: String) throws -> Bool? {
        guard let value = body[key] else { return nil }
        if let flag = value.boolValue { return flag }
        if let text = value.stringValue?.lowercased(), ["true", "false"].contains(text) { return text == "true" }
        throw NovaError.invalidInput("'\(value.serialized().prefix(64))' is not a valid boolean value")
    }

    func name(_ body: JSONObject, _ key: String = "name") throws -> String? {
        try CheckedInput.text(body[key], field: key, length: 0...255)
    }

    /// Tells the mechanism driver of a stored change, then Nova of what it means for its servers.
    func notify(_ change: ResourceChange) async throws {
        try await driver.changed(change)
        try await notifyNova(change)
    }

    func newID() -> String { UUID().uuidString.lowercased() }
}
