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
            let body = try await request.jsonBody(context: context)
            try CheckedInput.onlyFields(["extra_specs"], of: body)
            guard body["extra_specs"] != nil else { throw NovaError.badRequest("'extra_specs' is a required property") }
            let specs = try Self.parseSpecs(body["extra_specs"], context.apiVersion, count: 0...)
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
            let specs = try Self.parseSpecs(
                try await request.jsonBody(context: context), context.apiVersion, count: 1...1)
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

    /// Nova's flavor extra specs schema: keys of `[a-zA-Z0-9-_:. ]{1,255}`, values strings of at most 255
    /// characters or numbers (kept as their text); from 2.86 each known key's value is validated too.
    static func parseSpecs(_ json: JSON?, _ version: APIVersion, count: some RangeExpression<Int>) throws
        -> [String: String]
    {
        guard let object = json?.objectValue else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute extra_specs. Value: \(json?.serialized().prefix(64) ?? "None"). "
                    + "It is not of type 'object'")
        }
        guard count.contains(object.entries.count) else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute extra_specs. It must have exactly one property")
        }
        var specs: [String: String] = [:]
        for (key, value) in object.entries {
            guard (1...255).contains(key.count), key.allSatisfy(Self.isSpecKeyCharacter) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute extra_specs. Additional properties are not allowed "
                        + "('\(key.prefix(64))' was unexpected)")
            }
            let text: String
            switch value {
            case .string(let string) where string.count <= 255: text = string
            case .int(let number): text = String(number)
            case .double(let number) where number.isFinite: text = String(number)
            case .string: throw NovaError.badRequest("Invalid input for field/attribute \(key). It is too long")
            default:
                throw NovaError.badRequest(
                    "Invalid input for field/attribute \(key). Value: \(value.serialized().prefix(64)). "
                        + "It is not of type 'string', 'number'")
            }
            if version >= APIVersion(2, 86) { try FlavorExtraSpecRules.validate(key, text) }
            specs[key] = text
        }
        return specs
    }

    static func isSpecKeyCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-_:. ".contains(character))
    }
}
