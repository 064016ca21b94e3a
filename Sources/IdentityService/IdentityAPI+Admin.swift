import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's admin calls: domains, projects, users, roles and role assignments (admin only, as Keystone's
/// default policy for these, except that a user may read itself and its own projects).
extension IdentityAPI {
    func registerAdmin(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("domains") { request, context in
            try requireAdmin(context)
            let domains = try await store.domains(name: request.query["name"])
            return Response.json(["domains": .array(domains.map(domainJSON)), "links": linksJSON(request)])
        }
        v3.get("domains/{id}") { _, context in
            try requireAdmin(context)
            guard let domain = try await store.domains().first(where: { $0.id == context.parameter("id") }) else {
                throw NovaError.notFound("Could not find domain: \(context.parameter("id")).")
            }
            return Response.json(["domain": domainJSON(domain)])
        }
        v3.get("projects") { request, context in
            try requireAdmin(context)
            let projects = try await store.projects(name: request.query["name"], domainID: request.query["domain_id"])
            return Response.json(["projects": .array(projects.map(projectJSON)), "links": linksJSON(request)])
        }
        v3.post("projects") { request, context in
            try requireAdmin(context)
            let body = try await request.jsonBody(context: context)
            guard let name = try CheckedInput.text(body["project"]?["name"], field: "name", length: 1...64) else {
                throw NovaError.badRequest("Invalid input for field 'name': a project needs a name.")
            }
            let project = ProjectRecord(
                id: IdentityBootstrap.newID(), name: name,
                domainID: try await existingDomain(body["project"]?["domain_id"]),
                description: body["project"]?["description"]?.stringValue ?? "",
                enabled: body["project"]?["enabled"]?.boolValue ?? true)
            try await store.createProject(project)
            return Response.json(["project": projectJSON(project)], status: 201)
        }
        v3.get("projects/{id}") { _, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            guard caller.isAdmin || caller.projectID == id else {
                throw NovaError.forbidden(
                    "You are not authorized to perform the requested action: identity:get_project.")
            }
            guard let project = try await store.project(id: id) else {
                throw NovaError.notFound("Could not find project: \(id).")
            }
            return Response.json(["project": projectJSON(project)])
        }
        v3.delete("projects/{id}") { _, context in
            try requireAdmin(context)
            guard try await store.project(id: context.parameter("id")) != nil else {
                throw NovaError.notFound("Could not find project: \(context.parameter("id")).")
            }
            try await store.deleteProject(id: context.parameter("id"))
            return Response.empty(status: 204)
        }
        registerUsersAndRoles(on: v3)
    }

    func registerUsersAndRoles(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("users") { request, context in
            try requireAdmin(context)
            let users = try await store.users(name: request.query["name"], domainID: request.query["domain_id"])
            return Response.json(["users": .array(users.map(userJSON)), "links": linksJSON(request)])
        }
        v3.post("users") { request, context in
            try requireAdmin(context)
            let body = try await request.jsonBody(context: context)
            guard let user = body["user"],
                let name = try CheckedInput.text(user["name"], field: "name", length: 1...255)
            else {
                throw NovaError.badRequest("Invalid input for field 'name': a user needs a name.")
            }
            let record = UserRecord(
                id: IdentityBootstrap.newID(), name: name, domainID: try await existingDomain(user["domain_id"]),
                passwordHash: try user["password"]?.stringValue.map { try PasswordHasher.hash($0) },
                enabled: user["enabled"]?.boolValue ?? true,
                defaultProjectID: user["default_project_id"]?.stringValue ?? user["project_id"]?.stringValue,
                email: user["email"]?.stringValue)
            try await store.createUser(record)
            return Response.json(["user": userJSON(record)], status: 201)
        }
        v3.get("users/{id}") { _, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            guard caller.isAdmin || caller.userID == id else {
                throw NovaError.forbidden("You are not authorized to perform the requested action: identity:get_user.")
            }
            guard let user = try await store.user(id: id) else {
                throw NovaError.notFound("Could not find user: \(id).")
            }
            return Response.json(["user": userJSON(user)])
        }
        v3.get("users/{id}/projects") { request, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            guard caller.isAdmin || caller.userID == id else {
                throw NovaError.forbidden(
                    "You are not authorized to perform the requested action: identity:list_user_projects.")
            }
            let projects = try await store.projects(userID: id)
            return Response.json(["projects": .array(projects.map(projectJSON)), "links": linksJSON(request)])
        }
        v3.delete("users/{id}") { _, context in
            try requireAdmin(context)
            guard try await store.user(id: context.parameter("id")) != nil else {
                throw NovaError.notFound("Could not find user: \(context.parameter("id")).")
            }
            try await store.deleteUser(id: context.parameter("id"))
            return Response.empty(status: 204)
        }
        v3.get("roles") { request, context in
            try requireAdmin(context)
            let roles = try await store.roles(name: request.query["name"])
            return Response.json(["roles": .array(roles.map(roleJSON)), "links": linksJSON(request)])
        }
        v3.get("projects/{id}/users/{user}/roles") { request, context in
            try requireAdmin(context)
            let roles = try await store.roleNames(userID: context.parameter("user"), projectID: context.parameter("id"))
            return Response.json(["roles": .array(roles.map(roleJSON)), "links": linksJSON(request)])
        }
        v3.put("projects/{id}/users/{user}/roles/{role}") { _, context in
            try requireAdmin(context)
            try await checkAssignmentTargets(context)
            try await store.assignRole(
                userID: context.parameter("user"), projectID: context.parameter("id"),
                roleID: context.parameter("role"))
            return Response.empty(status: 204)
        }
        v3.head("projects/{id}/users/{user}/roles/{role}") { _, context in
            try requireAdmin(context)
            let found = try await store.assignments(
                userID: context.parameter("user"), projectID: context.parameter("id"),
                roleID: context.parameter("role"))
            guard !found.isEmpty else { throw NovaError.notFound("Could not find role assignment.") }
            return Response.empty(status: 204)
        }
        v3.delete("projects/{id}/users/{user}/roles/{role}") { _, context in
            try requireAdmin(context)
            try await store.unassignRole(
                userID: context.parameter("user"), projectID: context.parameter("id"),
                roleID: context.parameter("role"))
            return Response.empty(status: 204)
        }
        v3.get("role_assignments") { request, context in
            try requireAdmin(context)
            return Response.json([
                "role_assignments": .array(try await roleAssignments(request.query)), "links": linksJSON(request),
            ])
        }
    }

    func checkAssignmentTargets(_ context: NovaRequestContext) async throws {
        guard try await store.user(id: context.parameter("user")) != nil else {
            throw NovaError.notFound("Could not find user: \(context.parameter("user")).")
        }
        guard try await store.project(id: context.parameter("id")) != nil else {
            throw NovaError.notFound("Could not find project: \(context.parameter("id")).")
        }
        guard try await store.roles().contains(where: { $0.id == context.parameter("role") }) else {
            throw NovaError.notFound("Could not find role: \(context.parameter("role")).")
        }
    }

    /// The domain a new project or user goes into: the one named (which must exist), else Default.
    func existingDomain(_ value: JSON?) async throws -> String {
        guard let value, !value.isNull else { return IdentityStore.defaultDomainID }
        guard let id = value.stringValue, try await store.domains().contains(where: { $0.id == id }) else {
            throw NovaError.notFound("Could not find domain: \(value.serialized().prefix(64)).")
        }
        return id
    }

    func requireAdmin(_ context: NovaRequestContext) throws {
        guard try context.caller().isAdmin else {
            throw NovaError.forbidden("You are not authorized to perform the requested action.")
        }
    }

    func domainJSON(_ domain: DomainRecord) -> JSON {
        [
            "id": .string(domain.id), "name": .string(domain.name), "description": .string(domain.description),
            "enabled": .bool(domain.enabled), "tags": [],
            "links": ["self": .string("/identity/v3/domains/\(domain.id)")],
        ]
    }

    func userJSON(_ user: UserRecord) -> JSON {
        var json: JSONObject = [
            "id": .string(user.id), "name": .string(user.name), "domain_id": .string(user.domainID),
            "enabled": .bool(user.enabled), "password_expires_at": .null, "options": [:],
            "links": ["self": .string("/identity/v3/users/\(user.id)")],
        ]
        if let project = user.defaultProjectID { json["default_project_id"] = .string(project) }
        if let email = user.email { json["email"] = .string(email) }
        return .object(json)
    }

    func roleJSON(_ role: RoleRecord) -> JSON {
        [
            "id": .string(role.id), "name": .string(role.name), "domain_id": .null,
            "description": .optional(role.description),
            "options": [:],
            "links": ["self": .string("/identity/v3/roles/\(role.id)")],
        ]
    }
}
