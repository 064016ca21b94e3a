import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's role CRUD (admin only, as its default policy): `openstack role create|set|show|delete`.
extension IdentityAPI {
    /// The roles the services' policies read: renaming or deleting them would lock everyone out.
    static let builtInRoles: Set<String> = Set(IdentityBootstrap.roleNames)

    func registerRoles(on v3: RouterGroup<NovaRequestContext>) {
        v3.post("roles") { request, context in
            try requireAdmin(context)
            let spec = try await request.jsonBody(context: context)["role"]
            guard let name = try CheckedInput.text(spec?["name"], field: "name", length: 1...255) else {
                throw NovaError.badRequest("'name' is a required property")
            }
            let role = RoleRecord(
                id: IdentityBootstrap.newID(), name: name,
                description: try CheckedInput.text(spec?["description"], field: "description", length: 0...255))
            try await store.createRole(role)
            return Response.json(["role": roleJSON(role)], status: 201)
        }
        v3.get("roles/{id}") { _, context in
            try requireAdmin(context)
            return Response.json(["role": roleJSON(try await existingRole(context.parameter("id")))])
        }
        v3.patch("roles/{id}") { request, context in
            try requireAdmin(context)
            var role = try await existingRole(context.parameter("id"))
            let spec = try await request.jsonBody(context: context)["role"]
            if let name = try CheckedInput.text(spec?["name"], field: "name", length: 1...255), name != role.name {
                guard !Self.builtInRoles.contains(role.name) else {
                    throw NovaError.forbidden(
                        "The role \(role.name) is one the services' policies read: it keeps its name.")
                }
                role.name = name
            }
            if let description = spec?["description"] {
                role.description = try CheckedInput.text(description, field: "description", length: 0...255)
            }
            try await store.updateRole(role)
            return Response.json(["role": roleJSON(role)])
        }
        v3.delete("roles/{id}") { _, context in
            try requireAdmin(context)
            let role = try await existingRole(context.parameter("id"))
            guard !Self.builtInRoles.contains(role.name) else {
                throw NovaError.forbidden("The role \(role.name) is one the services' policies read: it stays.")
            }
            try await store.deleteRole(id: role.id)
            return Response.empty(status: 204)
        }
    }

    func existingRole(_ id: String) async throws -> RoleRecord {
        guard let role = try await store.role(id: id) else { throw NovaError.notFound("Could not find role: \(id).") }
        return role
    }
}
