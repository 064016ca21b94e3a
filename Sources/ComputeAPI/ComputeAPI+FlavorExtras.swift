import APISupport
import Foundation
import Hummingbird
import NovaCore

/// Flavor extra specs and flavor access.
extension ComputeAPI {
    func registerFlavorExtras(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("flavors/{id}/os-extra_specs") { _, context in
            let flavor = try await visibleFlavor(context.parameter("id"), context)
            return Response.json(["extra_specs": Self.specsJSON(flavor.extraSpecs)])
        }
        v21.post("flavors/{id}/os-extra_specs") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-flavor-extra-specs:create", try context.caller())
            let specs = try Self.parseSpecs(try await request.jsonBody(context: context)["extra_specs"])
            let flavor = try await store.updateFlavor(id: context.parameter("id")) { flavor in
                flavor.extraSpecs.merge(specs) { _, new in new }
            }
            return Response.json(["extra_specs": Self.specsJSON(flavor.extraSpecs.filter { specs[$0.key] != nil })])
        }
        v21.get("flavors/{id}/os-extra_specs/{key}") { _, context in
            let flavor = try await visibleFlavor(context.parameter("id"), context)
            let key = context.parameter("key")
            guard let value = flavor.extraSpecs[key] else {
                throw NovaError.notFound("Flavor \(flavor.id) has no extra specs with key \(key).")
            }
            return Response.json([key: .string(value)])
        }
        v21.put("flavors/{id}/os-extra_specs/{key}") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-flavor-extra-specs:update", try context.caller())
            let key = context.parameter("key")
            let specs = try Self.parseSpecs(try await request.jsonBody(context: context))
            guard specs.count == 1, let value = specs[key] else {
                throw NovaError.badRequest("Request body and URI mismatch")
            }
            try await store.updateFlavor(id: context.parameter("id")) { $0.extraSpecs[key] = value }
            return Response.json([key: .string(value)])
        }
        v21.delete("flavors/{id}/os-extra_specs/{key}") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-flavor-extra-specs:delete", try context.caller())
            let key = context.parameter("key")
            try await store.updateFlavor(id: context.parameter("id")) { flavor in
                guard flavor.extraSpecs.removeValue(forKey: key) != nil else {
                    throw NovaError.notFound("Flavor \(flavor.id) has no extra specs with key \(key).")
                }
            }
            return Response.empty(status: 200)
        }
        v21.get("flavors/{id}/os-flavor-access") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-flavor-access", try context.caller())
            return Response.json(["flavor_access": try await accessList(context.parameter("id"))])
        }
        v21.post("flavors/{id}/action") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-flavor-access:add_tenant_access", try context.caller())
            let id = context.parameter("id")
            let body = try await request.jsonBody(context: context)
            let (granted, argument): (Bool, JSON?) =
                if let add = body["addTenantAccess"] { (true, add) } else if let remove = body["removeTenantAccess"] {
                    (false, remove)
                } else { (false, nil) }
            guard let tenant = argument?["tenant"]?.stringValue, !tenant.isEmpty else {
                throw NovaError.badRequest(
                    "Invalid input: addTenantAccess or removeTenantAccess with a 'tenant' is required")
            }
            guard let flavor = try await store.flavor(id: id) else {
                throw NovaError.notFound("Flavor \(id) could not be found.")
            }
            if flavor.isPublic { throw NovaError.conflict("Can not add access to a public flavor.") }
            try await store.setFlavorAccess(id: id, projectID: tenant, granted: granted)
            return Response.json(["flavor_access": try await accessList(id)])
        }
    }

    func accessList(_ id: String) async throws -> JSON {
        guard let flavor = try await store.flavor(id: id) else {
            throw NovaError.notFound("Flavor \(id) could not be found.")
        }
        if flavor.isPublic { throw NovaError.notFound("Access list not available for public flavors.") }
        return .array(
            try await store.flavorProjects(id: id).map { ["flavor_id": .string(id), "tenant_id": .string($0)] })
    }

    static func parseSpecs(_ json: JSON?) throws -> [String: String] {
        guard let object = json?.objectValue, !object.entries.isEmpty else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute extra_specs: an object of key/value strings is required")
        }
        var specs: [String: String] = [:]
        for (key, value) in object.entries {
            guard key.count <= 255, !key.isEmpty else { throw NovaError.badRequest("Invalid extra spec key \(key)") }
            switch value {
            case .string(let text): specs[key] = text
            case .int(let number): specs[key] = String(number)
            case .bool(let flag): specs[key] = flag ? "True" : "False"
            default: throw NovaError.badRequest("Invalid input for field/attribute \(key): value must be a string")
            }
        }
        return specs
    }
}
