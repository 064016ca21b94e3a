import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's PATCH of users and projects (admin only) and a user changing its own password.
extension IdentityAPI {
    func registerUpdates(on v3: RouterGroup<NovaRequestContext>) {
        v3.patch("users/{id}") { request, context in
            try requireAdmin(context)
            let id = context.parameter("id")
            guard var user = try await store.user(id: id) else {
                throw NovaError.notFound("Could not find user: \(id).")
            }
            let spec = try await member("user", of: request, context)
            if let name = try CheckedInput.text(spec["name"], field: "name", length: 1...255) { user.name = name }
            if let enabled = try CheckedInput.boolean(spec["enabled"], field: "enabled") { user.enabled = enabled }
            if let project = spec["default_project_id"] {
                if let projectID = project.stringValue, try await store.project(id: projectID) == nil {
                    throw NovaError.notFound("Could not find project: \(projectID).")
                }
                user.defaultProjectID = project.stringValue
            }
            if let email = spec["email"] { user.email = email.stringValue }
            let newPassword = spec["password"]?.stringValue
            if let newPassword { user.passwordHash = try PasswordHasher.hash(newPassword) }
            try await store.updateUser(user)
            // A disabled user, or one whose password an admin replaced, keeps no working token.
            if !user.enabled || newPassword != nil { try await tokens.revokeAll(userID: user.id) }
            return Response.json(["user": userJSON(user)])
        }
        v3.post("users/{id}/password") { request, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            guard caller.userID == id else {
                throw NovaError.forbidden(
                    "You are not authorized to perform the requested action: identity:change_password.")
            }
            let spec = try await request.jsonBody(context: context)["user"]
            guard let original = spec?["original_password"]?.stringValue, let password = spec?["password"]?.stringValue,
                !password.isEmpty
            else { throw NovaError.badRequest("'original_password' and 'password' are required properties") }
            guard var user = try await store.user(id: id),
                PasswordHasher.verify(original, against: user.passwordHash ?? PasswordHasher.dummyHash),
                user.passwordHash != nil
            else { throw NovaError.unauthorized("The request you have made requires authentication.") }
            user.passwordHash = try PasswordHasher.hash(password)
            try await store.updateUser(user)
            try await tokens.revokeAll(userID: id)
            return Response.empty(status: 204)
        }
        v3.patch("projects/{id}") { request, context in
            try requireAdmin(context)
            let id = context.parameter("id")
            guard var project = try await store.project(id: id) else {
                throw NovaError.notFound("Could not find project: \(id).")
            }
            let spec = try await member("project", of: request, context)
            if let name = try CheckedInput.text(spec["name"], field: "name", length: 1...64) { project.name = name }
            if let description = spec["description"] { project.description = description.stringValue ?? "" }
            if let enabled = try CheckedInput.boolean(spec["enabled"], field: "enabled") { project.enabled = enabled }
            try await store.updateProject(project)
            if !project.enabled { tokens.forget { $0.projectID == project.id } }
            return Response.json(["project": projectJSON(project)])
        }
    }
}
