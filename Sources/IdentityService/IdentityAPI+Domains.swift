import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's domain CRUD (admin only): `openstack domain create|set|delete`. A domain is deleted only once
/// disabled, as Keystone requires, and takes its projects, users and groups with it; Default, which holds
/// the admin, stays enabled.
extension IdentityAPI {
    func registerDomains(on v3: RouterGroup<NovaRequestContext>) {
        v3.post("domains") { request, context in
            try requireAdmin(context)
            let spec = try await request.jsonBody(context: context)["domain"]
            guard let name = try CheckedInput.text(spec?["name"], field: "name", length: 1...64) else {
                throw NovaError.badRequest("'name' is a required property")
            }
            let domain = DomainRecord(
                id: IdentityBootstrap.newID(), name: name,
                description: try CheckedInput.text(spec?["description"], field: "description", length: 0...255) ?? "",
                enabled: try CheckedInput.boolean(spec?["enabled"], field: "enabled") ?? true)
            try await store.saveDomain(domain, creating: true)
            return Response.json(["domain": domainJSON(domain)], status: 201)
        }
        v3.patch("domains/{id}") { request, context in
            try requireAdmin(context)
            var domain = try await existingDomainRecord(context.parameter("id"))
            let spec = try await request.jsonBody(context: context)["domain"]
            if let name = try CheckedInput.text(spec?["name"], field: "name", length: 1...64) { domain.name = name }
            if let description = spec?["description"] {
                domain.description = try CheckedInput.text(description, field: "description", length: 0...255) ?? ""
            }
            if let enabled = try CheckedInput.boolean(spec?["enabled"], field: "enabled") {
                guard enabled || domain.id != IdentityStore.defaultDomainID else {
                    throw NovaError.forbidden("The default domain holds the cloud's admin: it stays enabled.")
                }
                domain.enabled = enabled
            }
            try await store.saveDomain(domain, creating: false)
            if !domain.enabled {
                // Its users' cached validations go: their next request reads the token again and finds it dead.
                let users = Set(try await store.users(domainID: domain.id).map(\.id))
                tokens.forget { users.contains($0.userID) }
            }
            return Response.json(["domain": domainJSON(domain)])
        }
        v3.delete("domains/{id}") { _, context in
            try requireAdmin(context)
            let domain = try await existingDomainRecord(context.parameter("id"))
            guard !domain.enabled else {
                throw NovaError.forbidden("Cannot delete a domain that is enabled, please disable it first.")
            }
            let users = Set(try await store.users(domainID: domain.id).map(\.id))
            try await store.deleteDomain(id: domain.id)
            tokens.forget { users.contains($0.userID) }
            return Response.empty(status: 204)
        }
    }

    func existingDomainRecord(_ id: String) async throws -> DomainRecord {
        guard let domain = try await store.domains().first(where: { $0.id == id }) else {
            throw NovaError.notFound("Could not find domain: \(id).")
        }
        return domain
    }
}
