import APISupport
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    static let routerAttributes: Set<String> = [
        "name", "admin_state_up", "external_gateway_info", "description", "tenant_id", "project_id",
        "availability_zone_hints", "distributed", "ha", "routes",
    ]

    func registerRouters(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("routers") { request, context in
            let caller = try context.caller()
            let query = ListQuery(request.query)
            let routers = try await store.routers(
                ids: query.values("id"), projectID: caller.isAdmin ? nil : caller.projectID)
            return Response.json(
                try query.respond(
                    routers.map(routerView), collection: "routers", path: "/\(Self.prefix)/v2.0/routers",
                    baseURL: request.baseURL(fallback: "")))
        }
        v2.post("routers") { request, context in
            let caller = try context.caller()
            let body = try await body(request, context, resource: "router", allowed: Self.routerAttributes)
            var router = NetworkRouter(
                id: newID(), projectID: try owner(body, caller, resource: "router"), name: try name(body) ?? "",
                createdAt: clock.now)
            try applyRouterBody(body, to: &router)
            let gateway = try await gatewayRequest(body, caller: caller) ?? nil
            router = try await store.createRouter(router, gateway: gateway)
            try await notify(.created(.router(router)))
            return Response.json(["router": .object(routerView(router))], status: 201)
        }
        v2.get("routers/{id}") { _, context in
            Response.json([
                "router": .object(routerView(try await ownedRouter(context.parameter("id"), try context.caller())))
            ])
        }
        v2.put("routers/{id}") { request, context in
            let caller = try context.caller()
            let current = try await ownedRouter(context.parameter("id"), caller)
            let body = try await body(request, context, resource: "router", allowed: Self.routerAttributes)
            var changed = current
            try applyRouterBody(body, to: &changed)
            let wanted = changed
            let now = clock.now
            let (old, new) = try await store.updateRouter(
                id: current.id, gateway: try await gatewayRequest(body, caller: caller)
            ) {
                router in
                router.name = wanted.name
                router.adminStateUp = wanted.adminStateUp
                router.standard.description = wanted.standard.description
                router.standard.touch(now)
            }
            try await notify(.updated(old: .router(old), new: .router(new)))
            return Response.json(["router": .object(routerView(new))])
        }
        v2.delete("routers/{id}") { _, context in
            let router = try await ownedRouter(context.parameter("id"), try context.caller())
            let deleted = try await store.deleteRouter(id: router.id)
            try await notify(.deleted(.router(deleted)))
            return Response.empty(status: 204)
        }
        v2.put("routers/{id}/add_router_interface") { request, context in
            try await routerInterface(request, context, adding: true)
        }
        v2.put("routers/{id}/remove_router_interface") { request, context in
            try await routerInterface(request, context, adding: false)
        }
    }

    func routerInterface(_ request: Request, _ context: NovaRequestContext, adding: Bool) async throws -> Response {
        let caller = try context.caller()
        let router = try await ownedRouter(context.parameter("id"), caller)
        guard let body = try await request.jsonBody(context: context).objectValue else {
            throw NovaError.badRequest("The request body must be a JSON object")
        }
        let subnetID = try CheckedInput.text(body["subnet_id"], field: "subnet_id", length: 1...64)
        let portID = try CheckedInput.text(body["port_id"], field: "port_id", length: 1...64)
        guard (subnetID == nil) != (portID == nil) else {
            throw NovaError.badRequest("Bad router request: Either subnet_id or port_id must be specified, not both")
        }
        if let subnetID { _ = try await visibleSubnet(subnetID, caller) }
        if let portID { _ = try await ownedPort(portID, caller) }
        let port: NetworkPort
        if adding {
            port = try await store.addRouterInterface(routerID: router.id, subnetID: subnetID, portID: portID)
            try await notify(.created(.port(port)))
        } else {
            port = try await store.removeRouterInterface(routerID: router.id, subnetID: subnetID, portID: portID)
            try await notify(.deleted(.port(port)))
        }
        return Response.json([
            "id": .string(router.id), "tenant_id": .string(router.projectID), "project_id": .string(router.projectID),
            "port_id": .string(port.id), "network_id": .string(port.networkID),
            "subnet_id": .optional(port.fixedIPs.first?.subnetID),
            "subnet_ids": .array(port.fixedIPs.map { .string($0.subnetID) }),
        ])
    }

    func ownedRouter(_ id: String, _ caller: Credentials) async throws -> NetworkRouter {
        guard let router = try await store.router(id: id), caller.isAdmin || router.projectID == caller.projectID else {
            throw NovaError(.routerNotFound, "Router \(id) could not be found")
        }
        return router
    }

    func applyRouterBody(_ body: JSONObject, to router: inout NetworkRouter) throws {
        if let name = try name(body) { router.name = name }
        if let description = try name(body, "description") { router.standard.description = description }
        if let up = try flag(body, "admin_state_up") { router.adminStateUp = up }
        if try flag(body, "distributed") == true || flag(body, "ha") == true {
            throw NovaError.invalidInput("distributed and ha routers are not supported by this networking service")
        }
        if let routes = body["routes"], routes.arrayValue?.isEmpty != true {
            throw NovaError.invalidInput("extra routes are not supported by this networking service")
        }
    }

    /// `external_gateway_info` of a body: absent (nil), cleared (`.some(nil)`), or set.
    func gatewayRequest(_ body: JSONObject, caller: Credentials) async throws -> GatewayRequest?? {
        guard let value = body["external_gateway_info"] else { return nil }
        guard let info = value.objectValue, !info.keys.isEmpty else { return .some(nil) }
        guard let networkID = info["network_id"]?.stringValue else {
            throw NovaError.badRequest("Bad router request: external_gateway_info needs a network_id")
        }
        _ = try await visibleNetwork(networkID, caller)
        let snat = try flag(info, "enable_snat")
        if snat == false, !caller.isAdmin {
            throw NovaError.policy("rule:create_router:external_gateway_info:enable_snat")
        }
        var addresses: [AddressRequest]?
        if info["external_fixed_ips"] != nil {
            guard caller.isAdmin else {
                throw NovaError.policy("rule:create_router:external_gateway_info:external_fixed_ips")
            }
            addresses = try addressRequests(info["external_fixed_ips"])
        }
        return .some(GatewayRequest(networkID: networkID, enableSNAT: snat ?? true, addresses: addresses))
    }

    func routerView(_ router: NetworkRouter) -> JSONObject {
        var gateway: JSON = .null
        if let info = router.gateway {
            gateway = [
                "network_id": .string(info.networkID), "enable_snat": .bool(info.enableSNAT),
                "external_fixed_ips": .array(
                    info.externalFixedIPs.map {
                        ["subnet_id": .string($0.subnetID), "ip_address": .string($0.ipAddress)]
                    }),
            ]
        }
        var json: JSONObject = [
            "id": .string(router.id), "name": .string(router.name), "tenant_id": .string(router.projectID),
            "project_id": .string(router.projectID), "admin_state_up": .bool(router.adminStateUp),
            "status": .string(router.status), "external_gateway_info": gateway, "routes": [], "distributed": false,
            "ha": false, "availability_zone_hints": [], "availability_zones": [], "flavor_id": .null,
        ]
        Self.appendStandard(router.standard, to: &json)
        return json
    }
}
