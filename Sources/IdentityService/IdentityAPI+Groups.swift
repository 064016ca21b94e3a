import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's groups (admin only, as its default policy; a user may list its own): their members, and the
/// roles a group holds on projects, which its members then have in their tokens.
extension IdentityAPI {
    func registerGroups(on v3: RouterGroup<NovaRequestContext>) {
        v3.post("groups") { request, context in
            try requireAdmin(context)
            let spec = try await request.jsonBody(context: context)["group"]
            guard let name = try CheckedInput.text(spec?["name"], field: "name", length: 1...64) else {
                throw NovaError.badRequest("'name' is a required property")
            }
            let group = GroupRecord(
                id: IdentityBootstrap.newID(), name: name, domainID: try await existingDomain(spec?["domain_id"]),
                description: try CheckedInput.text(spec?["description"], field: "description", length: 0...255) ?? "")
            try await store.createGroup(group)
            return Response.json(["group": groupJSON(group)], status: 201)
        }
        v3.get("groups") { request, context in
            try requireAdmin(context)
            let groups = try await store.groups(name: request.query["name"], domainID: request.query["domain_id"])
            return Response.json(["groups": .array(groups.map(groupJSON)), "links": linksJSON(request)])
        }
        v3.get("groups/{id}") { _, context in
            try requireAdmin(context)
            return Response.json(["group": groupJSON(try await existingGroup(context.parameter("id")))])
        }
        v3.patch("groups/{id}") { request, context in
            try requireAdmin(context)
            var group = try await existingGroup(context.parameter("id"))
            let spec = try await request.jsonBody(context: context)["group"]
            if let name = try CheckedInput.text(spec?["name"], field: "name", length: 1...64) { group.name = name }
            if let description = spec?["description"] {
                group.description = try CheckedInput.text(description, field: "description", length: 0...255) ?? ""
            }
            try await store.updateGroup(group)
            return Response.json(["group": groupJSON(group)])
        }
        v3.delete("groups/{id}") { _, context in
            try requireAdmin(context)
            try await store.deleteGroup(id: try await existingGroup(context.parameter("id")).id)
            return Response.empty(status: 204)
        }
        registerGroupMembers(on: v3)
        registerGroupRoles(on: v3)
    }

    func registerGroupMembers(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("groups/{id}/users") { request, context in
            try requireAdmin(context)
            let group = try await existingGroup(context.parameter("id"))
            let users = try await store.members(groupID: group.id)
            return Response.json(["users": .array(users.map(userJSON)), "links": linksJSON(request)])
        }
        v3.put("groups/{id}/users/{user}") { _, context in
            try requireAdmin(context)
            let (group, user) = try await groupAndUser(context)
            try await store.addMember(groupID: group, userID: user)
            return Response.empty(status: 204)
        }
        v3.head("groups/{id}/users/{user}") { _, context in
            try requireAdmin(context)
            let (group, user) = try await groupAndUser(context)
            guard try await store.members(groupID: group).contains(where: { $0.id == user }) else {
                throw NovaError.notFound("User \(user) is not a member of group \(group).")
            }
            return Response.empty(status: 204)
        }
        v3.delete("groups/{id}/users/{user}") { _, context in
            try requireAdmin(context)
            let (group, user) = try await groupAndUser(context)
            guard try await store.removeMember(groupID: group, userID: user) else {
                throw NovaError.notFound("User \(user) is not a member of group \(group).")
            }
            return Response.empty(status: 204)
        }
        v3.get("users/{id}/groups") { request, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            try requireOwner(caller, id, "list_groups_for_user")
            let groups = try await store.groups(memberID: id)
            return Response.json(["groups": .array(groups.map(groupJSON)), "links": linksJSON(request)])
        }
    }

    func registerGroupRoles(on v3: RouterGroup<NovaRequestContext>) {
        let path = "projects/{id}/groups/{group}/roles"
        v3.get(RouterPath(path)) { request, context in
            try requireAdmin(context)
            let (project, group, _) = try await groupAssignmentTarget(context, role: false)
            let ids = Set(try await store.groupAssignments(groupID: group, projectID: project).map(\.roleID))
            let roles = try await store.roles().filter { ids.contains($0.id) }
            return Response.json(["roles": .array(roles.map(roleJSON)), "links": linksJSON(request)])
        }
        v3.put(RouterPath(path + "/{role}")) { _, context in
            try requireAdmin(context)
            let (project, group, role) = try await groupAssignmentTarget(context, role: true)
            try await store.assignRole(groupID: group, projectID: project, roleID: role)
            return Response.empty(status: 204)
        }
        v3.head(RouterPath(path + "/{role}")) { _, context in
            try requireAdmin(context)
            let (project, group, role) = try await groupAssignmentTarget(context, role: true)
            guard !(try await store.groupAssignments(groupID: group, projectID: project, roleID: role)).isEmpty else {
                throw NovaError.notFound("Could not find role assignment.")
            }
            return Response.empty(status: 204)
        }
        v3.delete(RouterPath(path + "/{role}")) { _, context in
            try requireAdmin(context)
            let (project, group, role) = try await groupAssignmentTarget(context, role: true)
            try await store.unassignRole(groupID: group, projectID: project, roleID: role)
            return Response.empty(status: 204)
        }
    }

    func existingGroup(_ id: String) async throws -> GroupRecord {
        guard let group = try await store.group(id: id) else {
            throw NovaError.notFound("Could not find group: \(id).")
        }
        return group
    }

    func groupAndUser(_ context: NovaRequestContext) async throws -> (String, String) {
        let group = try await existingGroup(context.parameter("id"))
        let user = context.parameter("user")
        guard try await store.user(id: user) != nil else { throw NovaError.notFound("Could not find user: \(user).") }
        return (group.id, user)
    }

    func groupAssignmentTarget(_ context: NovaRequestContext, role: Bool) async throws -> (String, String, String) {
        let project = context.parameter("id")
        guard try await store.project(id: project) != nil else {
            throw NovaError.notFound("Could not find project: \(project).")
        }
        let group = try await existingGroup(context.parameter("group")).id
        guard role else { return (project, group, "") }
        return (project, group, try await existingRole(context.parameter("role")).id)
    }

    func groupJSON(_ group: GroupRecord) -> JSON {
        [
            "id": .string(group.id), "name": .string(group.name), "domain_id": .string(group.domainID),
            "description": .string(group.description),
            "links": ["self": .string("/identity/v3/groups/\(group.id)")],
        ]
    }
}
