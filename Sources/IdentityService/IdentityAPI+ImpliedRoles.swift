import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's implied roles (`openstack implied role create|list|delete`) and role assignments on the
/// system (`openstack role add --system all`), admin only as its default policy.
extension IdentityAPI {
    /// Keystone's `[assignment] prohibited_implied_role`: no role may bring admin with it.
    static let prohibitedImpliedRoles: Set<String> = ["admin"]

    func registerImpliedRoles(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("role_inferences") { _, context in
            try requireAdmin(context)
            let inferences = Dictionary(grouping: try await store.roleInferences(), by: \.priorRoleID)
            let roles = Dictionary(uniqueKeysWithValues: try await store.roles().map { ($0.id, $0) })
            let listed: [JSON] = inferences.keys.sorted().compactMap { prior in
                guard let priorRole = roles[prior] else { return nil }
                return [
                    "prior_role": inferenceRoleJSON(priorRole),
                    "implies": .array(
                        (inferences[prior] ?? []).compactMap { roles[$0.impliedRoleID] }.map(inferenceRoleJSON)),
                ]
            }
            return Response.json(["role_inferences": .array(listed)])
        }
        v3.get("roles/{id}/implies") { request, context in
            try requireAdmin(context)
            let prior = try await existingRole(context.parameter("id"))
            let roles = Dictionary(uniqueKeysWithValues: try await store.roles().map { ($0.id, $0) })
            let implied = try await store.roleInferences(priorRoleID: prior.id).compactMap { roles[$0.impliedRoleID] }
            return Response.json([
                "role_inference": [
                    "prior_role": inferenceRoleJSON(prior), "implies": .array(implied.map(inferenceRoleJSON)),
                ],
                "links": ["self": .string(request.baseURL(fallback: "") + request.uri.path)],
            ])
        }
        v3.put("roles/{id}/implies/{implied}") { _, context in
            try requireAdmin(context)
            let (prior, implied) = try await inferenceRoles(context)
            guard !Self.prohibitedImpliedRoles.contains(implied.name) else {
                throw NovaError.forbidden("\(implied.id) cannot be an implied roles.")
            }
            try await store.addRoleInference(priorRoleID: prior.id, impliedRoleID: implied.id)
            tokens.forget { _ in true }
            return Response.json(inferenceJSON(prior, implied), status: 201)
        }
        v3.get("roles/{id}/implies/{implied}") { _, context in
            try requireAdmin(context)
            let (prior, implied) = try await existingInference(context)
            return Response.json(inferenceJSON(prior, implied))
        }
        v3.head("roles/{id}/implies/{implied}") { _, context in
            try requireAdmin(context)
            _ = try await existingInference(context)
            return Response.empty(status: 204)
        }
        v3.delete("roles/{id}/implies/{implied}") { _, context in
            try requireAdmin(context)
            let (prior, implied) = try await inferenceRoles(context)
            guard try await store.removeRoleInference(priorRoleID: prior.id, impliedRoleID: implied.id) else {
                throw NovaError.notFound("\(prior.id) does not imply \(implied.id).")
            }
            tokens.forget { _ in true }
            return Response.empty(status: 204)
        }
        for actor in ["users", "groups"] { registerSystemAssignments(of: actor, on: v3) }
    }

    /// `system/users/...` and `system/groups/...`: role assignments on the system.
    func registerSystemAssignments(of actor: String, on v3: RouterGroup<NovaRequestContext>) {
        let actorType = actor == "users" ? "user" : "group"
        v3.get("system/\(actor)/{id}/roles") { request, context in
            try requireAdmin(context)
            let assigned = Set(
                try await store.systemAssignments(actorType: actorType, actorID: context.parameter("id")).map(\.roleID))
            let roles = try await store.roles().filter { assigned.contains($0.id) }
            return Response.json(["roles": .array(roles.map(roleJSON)), "links": linksJSON(request)])
        }
        v3.put("system/\(actor)/{id}/roles/{role}") { _, context in
            try requireAdmin(context)
            let (actorID, role) = try await systemAssignmentTargets(actorType, context)
            try await store.assignSystemRole(actorType: actorType, actorID: actorID, roleID: role.id)
            return Response.empty(status: 204)
        }
        let check: @Sendable (Request, NovaRequestContext) async throws -> Response = { _, context in
            try requireAdmin(context)
            let found = try await store.systemAssignments(
                actorType: actorType, actorID: context.parameter("id"), roleID: context.parameter("role"))
            guard !found.isEmpty else { throw NovaError.notFound("Could not find role assignment.") }
            return Response.empty(status: 204)
        }
        v3.head("system/\(actor)/{id}/roles/{role}", use: check)
        v3.get("system/\(actor)/{id}/roles/{role}", use: check)
        v3.delete("system/\(actor)/{id}/roles/{role}") { _, context in
            try requireAdmin(context)
            let found = try await store.systemAssignments(
                actorType: actorType, actorID: context.parameter("id"), roleID: context.parameter("role"))
            guard !found.isEmpty else { throw NovaError.notFound("Could not find role assignment.") }
            try await store.unassignSystemRole(
                actorType: actorType, actorID: context.parameter("id"), roleID: context.parameter("role"))
            tokens.forget { $0.systemScope != nil }
            return Response.empty(status: 204)
        }
    }

    func systemAssignmentTargets(_ actorType: String, _ context: NovaRequestContext) async throws -> (
        String, RoleRecord
    ) {
        let id = context.parameter("id")
        if actorType == "user" {
            guard try await store.user(id: id) != nil else { throw NovaError.notFound("Could not find user: \(id).") }
        } else {
            guard try await store.group(id: id) != nil else { throw NovaError.notFound("Could not find group: \(id).") }
        }
        return (id, try await existingRole(context.parameter("role")))
    }

    func inferenceRoles(_ context: NovaRequestContext) async throws -> (RoleRecord, RoleRecord) {
        (try await existingRole(context.parameter("id")), try await existingRole(context.parameter("implied")))
    }

    func existingInference(_ context: NovaRequestContext) async throws -> (RoleRecord, RoleRecord) {
        let (prior, implied) = try await inferenceRoles(context)
        guard try await store.roleInferences(priorRoleID: prior.id).contains(where: { $0.impliedRoleID == implied.id })
        else { throw NovaError.notFound("\(prior.id) does not imply \(implied.id).") }
        return (prior, implied)
    }

    func inferenceJSON(_ prior: RoleRecord, _ implied: RoleRecord) -> JSON {
        [
            "role_inference": ["prior_role": inferenceRoleJSON(prior), "implies": inferenceRoleJSON(implied)],
            "links": ["self": .string("/identity/v3/roles/\(prior.id)/implies/\(implied.id)")],
        ]
    }

    func inferenceRoleJSON(_ role: RoleRecord) -> JSON {
        [
            "id": .string(role.id), "name": .string(role.name),
            "links": ["self": .string("/identity/v3/roles/\(role.id)")],
        ]
    }
}
