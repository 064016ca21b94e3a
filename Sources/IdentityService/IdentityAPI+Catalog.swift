import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's catalog management (admin only, as its default policy): `openstack region|service|endpoint
/// create|list|show|set|delete`. What changes here changes the catalog of every token issued afterwards.
extension IdentityAPI {
    static let catalogInterfaces: Set<String> = ["public", "internal", "admin"]

    func registerCatalog(on v3: RouterGroup<NovaRequestContext>) {
        registerRegions(on: v3)
        v3.get("services") { request, context in
            try requireAdmin(context)
            let services = try await store.catalogServices(type: request.query["type"], name: request.query["name"])
            return Response.json(["services": .array(services.map(serviceJSON)), "links": linksJSON(request)])
        }
        v3.post("services") { request, context in
            try requireAdmin(context)
            let spec = try await member("service", of: request, context)
            try CheckedInput.onlyFields(["type", "name", "description", "enabled"], of: spec, field: "service")
            guard let type = try CheckedInput.text(spec["type"], field: "type", length: 1...255) else {
                throw NovaError.badRequest("'type' is a required property")
            }
            let service = CatalogServiceRecord(
                id: IdentityBootstrap.newID(), type: type,
                name: try CheckedInput.text(spec["name"], field: "name", length: 0...255) ?? "",
                description: try CheckedInput.text(spec["description"], field: "description", length: 0...255) ?? "",
                enabled: try strictBool(spec["enabled"], field: "enabled") ?? true)
            try await store.saveCatalogService(service)
            return Response.json(["service": serviceJSON(service)], status: 201)
        }
        v3.get("services/{id}") { _, context in
            try requireAdmin(context)
            return Response.json(["service": serviceJSON(try await existingService(context.parameter("id")))])
        }
        v3.patch("services/{id}") { request, context in
            try requireAdmin(context)
            var service = try await existingService(context.parameter("id"))
            let spec = try await member("service", of: request, context)
            try CheckedInput.onlyFields(["type", "name", "description", "enabled"], of: spec, field: "service")
            if let type = try CheckedInput.text(spec["type"], field: "type", length: 1...255) { service.type = type }
            if let name = try CheckedInput.text(spec["name"], field: "name", length: 0...255) { service.name = name }
            if let text = try CheckedInput.text(spec["description"], field: "description", length: 0...255) {
                service.description = text
            }
            if let enabled = try strictBool(spec["enabled"], field: "enabled") { service.enabled = enabled }
            try await store.saveCatalogService(service)
            return Response.json(["service": serviceJSON(service)])
        }
        v3.delete("services/{id}") { _, context in
            try requireAdmin(context)
            try await store.deleteCatalogService(id: try await existingService(context.parameter("id")).id)
            return Response.empty(status: 204)
        }
        registerEndpoints(on: v3)
    }

    func registerEndpoints(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("endpoints") { request, context in
            try requireAdmin(context)
            let types = Dictionary(uniqueKeysWithValues: try await store.catalogServices().map { ($0.id, $0.type) })
            let endpoints = try await store.endpoints(
                serviceID: request.query["service_id"], interface: request.query["interface"],
                regionID: request.query["region_id"])
            return Response.json([
                "endpoints": .array(endpoints.map { endpointJSON($0, serviceType: types[$0.serviceID], request) }),
                "links": linksJSON(request),
            ])
        }
        v3.post("endpoints") { request, context in
            try requireAdmin(context)
            let spec = try await member("endpoint", of: request, context)
            guard spec["service_id"] != nil, spec["interface"] != nil, spec["url"] != nil else {
                throw NovaError.badRequest("'service_id', 'interface' and 'url' are required properties")
            }
            var endpoint = EndpointRecord(
                id: IdentityBootstrap.newID(), serviceID: "", interface: "", regionID: nil, url: "", enabled: true)
            let type = try await apply(spec, to: &endpoint)
            try await store.saveEndpoint(endpoint)
            return Response.json(["endpoint": endpointJSON(endpoint, serviceType: type, request)], status: 201)
        }
        v3.get("endpoints/{id}") { request, context in
            try requireAdmin(context)
            let endpoint = try await existingEndpoint(context.parameter("id"))
            let type = try await existingService(endpoint.serviceID).type
            return Response.json(["endpoint": endpointJSON(endpoint, serviceType: type, request)])
        }
        v3.patch("endpoints/{id}") { request, context in
            try requireAdmin(context)
            var endpoint = try await existingEndpoint(context.parameter("id"))
            let type = try await apply(try await member("endpoint", of: request, context), to: &endpoint)
            try await store.saveEndpoint(endpoint)
            return Response.json(["endpoint": endpointJSON(endpoint, serviceType: type, request)])
        }
        v3.delete("endpoints/{id}") { _, context in
            try requireAdmin(context)
            try await store.deleteEndpoint(id: try await existingEndpoint(context.parameter("id")).id)
            return Response.empty(status: 204)
        }
    }

    /// Applies an endpoint body: the service must exist, the interface be one of three, the URL carry a
    /// scheme; a region that does not exist yet is created, as Keystone does.
    /// - Returns: the endpoint's service type.
    func apply(_ spec: JSON, to endpoint: inout EndpointRecord) async throws -> String {
        try CheckedInput.onlyFields(
            ["service_id", "interface", "url", "region_id", "region", "enabled", "id"], of: spec, field: "endpoint")
        if let serviceID = try CheckedInput.text(spec["service_id"], field: "service_id", length: 1...64) {
            guard try await store.catalogServices().contains(where: { $0.id == serviceID }) else {
                throw NovaError.badRequest(
                    "Invalid input for field 'service_id': Could not find service: \(serviceID).")
            }
            endpoint.serviceID = serviceID
        }
        if let interface = try CheckedInput.text(spec["interface"], field: "interface", length: 1...64) {
            guard Self.catalogInterfaces.contains(interface) else {
                throw NovaError.badRequest(
                    "Invalid input for field 'interface': '\(interface)' is not one of ['admin', 'internal', 'public']."
                )
            }
            endpoint.interface = interface
        }
        if let url = try CheckedInput.text(spec["url"], field: "url", length: 1...225) {
            guard url.range(of: "^[a-zA-Z0-9+.-]+:.+", options: .regularExpression) != nil else {
                throw NovaError.badRequest("Invalid input for field 'url': '\(url)' is not a URL with a scheme.")
            }
            endpoint.url = url
        }
        if let region = spec["region_id"] ?? spec["region"] {
            endpoint.regionID = try CheckedInput.text(region, field: "region_id", length: 1...255)
            if region.isNull { endpoint.regionID = nil }
            if let id = endpoint.regionID, try await !store.regions().contains(where: { $0.id == id }) {
                try await store.createRegion(RegionRecord(id: id, description: "", parentRegionID: nil))
            }
        }
        if let enabled = try strictBool(spec["enabled"], field: "enabled") { endpoint.enabled = enabled }
        return try await existingService(endpoint.serviceID).type
    }

    func registerRegions(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("regions") { request, context in
            try requireAdmin(context)
            let regions = try await store.regions(parentRegionID: request.query["parent_region_id"])
            return Response.json(["regions": .array(regions.map(regionJSON)), "links": linksJSON(request)])
        }
        v3.post("regions") { request, context in
            try requireAdmin(context)
            let spec = try await member("region", of: request, context)
            let id = try CheckedInput.text(spec["id"], field: "id", length: 1...255) ?? IdentityBootstrap.newID()
            return Response.json(["region": regionJSON(try await createRegion(id: id, spec))], status: 201)
        }
        v3.put("regions/{id}") { request, context in
            try requireAdmin(context)
            let spec = try await member("region", of: request, context)
            return Response.json(
                ["region": regionJSON(try await createRegion(id: context.parameter("id"), spec))], status: 201)
        }
        v3.get("regions/{id}") { _, context in
            try requireAdmin(context)
            return Response.json(["region": regionJSON(try await existingRegion(context.parameter("id")))])
        }
        v3.patch("regions/{id}") { request, context in
            try requireAdmin(context)
            var region = try await existingRegion(context.parameter("id"))
            let spec = try await member("region", of: request, context)
            try CheckedInput.onlyFields(["description", "parent_region_id"], of: spec, field: "region")
            if let text = try CheckedInput.text(spec["description"], field: "description", length: 0...255) {
                region.description = text
            }
            if let parent = spec["parent_region_id"] {
                region.parentRegionID = try await parentRegion(parent, of: region.id)
            }
            try await store.updateRegion(region)
            return Response.json(["region": regionJSON(region)])
        }
        v3.delete("regions/{id}") { _, context in
            try requireAdmin(context)
            try await store.deleteRegion(id: try await existingRegion(context.parameter("id")).id)
            return Response.empty(status: 204)
        }
    }

    func createRegion(id: String, _ spec: JSON) async throws -> RegionRecord {
        try CheckedInput.onlyFields(["id", "description", "parent_region_id"], of: spec, field: "region")
        let region = RegionRecord(
            id: id,
            description: try CheckedInput.text(spec["description"], field: "description", length: 0...255) ?? "",
            parentRegionID: try await parentRegion(spec["parent_region_id"] ?? .null, of: id))
        try await store.createRegion(region)
        return region
    }

    /// A parent must exist, and must not be the region itself or one of its descendants (Keystone's
    /// circular hierarchy error).
    func parentRegion(_ value: JSON, of id: String) async throws -> String? {
        guard !value.isNull else { return nil }
        guard let parent = try CheckedInput.text(value, field: "parent_region_id", length: 1...255) else { return nil }
        let regions = Dictionary(uniqueKeysWithValues: try await store.regions().map { ($0.id, $0) })
        guard regions[parent] != nil else {
            throw NovaError.badRequest("Invalid input for field 'parent_region_id': Could not find region: \(parent).")
        }
        var ancestor: String? = parent
        var steps = 0
        while let current = ancestor, steps <= regions.count {
            if current == id {
                throw NovaError.badRequest(
                    "The specified parent region \(parent) would create a circular region hierarchy.")
            }
            ancestor = regions[current]?.parentRegionID
            steps += 1
        }
        return parent
    }

    /// The object a Keystone body wraps its resource in (`{"service": {...}}`): 400 when it is missing.
    func member(_ name: String, of request: Request, _ context: NovaRequestContext) async throws -> JSON {
        guard let spec = try await request.jsonBody(context: context)[name], spec.objectValue != nil else {
            throw NovaError.badRequest("'\(name)' is a required property")
        }
        return spec
    }

    /// Keystone's booleans are JSON booleans, not words.
    func strictBool(_ value: JSON?, field: String) throws -> Bool? {
        guard let value else { return nil }
        guard let flag = value.boolValue else {
            throw NovaError.badRequest(
                "Invalid input for field '\(field)': \(value.serialized().prefix(64)) is not of type 'boolean'")
        }
        return flag
    }

    func existingService(_ id: String) async throws -> CatalogServiceRecord {
        guard let service = try await store.catalogServices().first(where: { $0.id == id }) else {
            throw NovaError.notFound("Could not find service: \(id).")
        }
        return service
    }

    func existingEndpoint(_ id: String) async throws -> EndpointRecord {
        guard let endpoint = try await store.endpoints().first(where: { $0.id == id }) else {
            throw NovaError.notFound("Could not find endpoint: \(id).")
        }
        return endpoint
    }

    func existingRegion(_ id: String) async throws -> RegionRecord {
        guard let region = try await store.regions().first(where: { $0.id == id }) else {
            throw NovaError.notFound("Could not find region: \(id).")
        }
        return region
    }

    func serviceJSON(_ service: CatalogServiceRecord) -> JSON {
        [
            "id": .string(service.id), "type": .string(service.type), "name": .string(service.name),
            "description": .string(service.description), "enabled": .bool(service.enabled),
            "links": ["self": .string("/identity/v3/services/\(service.id)")],
        ]
    }

    /// An endpoint as the API shows it: a listener-relative URL is shown as the listener's (or the override's).
    func endpointJSON(_ endpoint: EndpointRecord, serviceType: String?, _ request: Request) -> JSON {
        let url = catalog.listed(endpoint, serviceType: serviceType, baseURL: request.baseURL(fallback: ""))
        return [
            "id": .string(endpoint.id), "interface": .string(endpoint.interface),
            "service_id": .string(endpoint.serviceID),
            "region_id": .optional(endpoint.regionID), "region": .optional(endpoint.regionID), "url": .string(url),
            "enabled": .bool(endpoint.enabled), "links": ["self": .string("/identity/v3/endpoints/\(endpoint.id)")],
        ]
    }

    func regionJSON(_ region: RegionRecord) -> JSON {
        [
            "id": .string(region.id), "description": .string(region.description),
            "parent_region_id": .optional(region.parentRegionID),
            "links": ["self": .string("/identity/v3/regions/\(region.id)")],
        ]
    }
}
