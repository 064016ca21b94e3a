import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's application credentials and access rules (`openstack application credential
/// create|list|show|delete`, `openstack access rule list|show|delete`): a user's own, and an admin's to read
/// and delete. The secret is shown once, at creation; only its salted hash is kept.
extension IdentityAPI {
    static let accessRuleMethods: Set<String> = ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"]

    func registerApplicationCredentials(on v3: RouterGroup<NovaRequestContext>) {
        let collection = "users/{id}/application_credentials"
        v3.get(RouterPath(collection)) { request, context in
            let userID = try ownerOrAdmin(context, action: "list_application_credentials")
            let credentials = try await store.applicationCredentials(userID: userID, name: request.query["name"])
            var listed: [JSON] = []
            for credential in credentials { listed.append(.object(try await applicationCredentialJSON(credential))) }
            return Response.json(["application_credentials": .array(listed), "links": linksJSON(request)])
        }
        v3.post(RouterPath(collection)) { request, context in
            let caller = try context.caller()
            try await requireUnrestricted(context)
            guard caller.userID == context.parameter("id") else {
                throw NovaError.forbidden(
                    "You are not authorized to perform the requested action: Cannot create an application credential for another user."
                )
            }
            guard !caller.projectID.isEmpty else {
                throw NovaError.forbidden(
                    "You are not authorized to perform the requested action: an application credential is made with a project-scoped token."
                )
            }
            let spec = try await member("application_credential", of: request, context)
            let (credential, secret) = try await newApplicationCredential(spec, caller: caller)
            let stored = try await store.createApplicationCredential(credential)
            var json = try await applicationCredentialJSON(stored)
            json["secret"] = .string(secret)
            return Response.json(["application_credential": .object(json)], status: 201)
        }
        v3.get(RouterPath(collection + "/{credential}")) { _, context in
            _ = try ownerOrAdmin(context, action: "get_application_credential")
            let credential = try await ownedApplicationCredential(context)
            return Response.json(["application_credential": .object(try await applicationCredentialJSON(credential))])
        }
        v3.delete(RouterPath(collection + "/{credential}")) { _, context in
            _ = try ownerOrAdmin(context, action: "delete_application_credential")
            try await requireUnrestricted(context)
            let credential = try await ownedApplicationCredential(context)
            try await store.deleteApplicationCredential(id: credential.id)
            tokens.forget(applicationCredentialID: credential.id)
            return Response.empty(status: 204)
        }
        v3.get("users/{id}/access_rules") { request, context in
            let userID = try ownerOrAdmin(context, action: "list_access_rules")
            var rules = try await store.accessRules(userID: userID)
            for field in ["service", "path", "method"] {
                guard let wanted = request.query[field] else { continue }
                rules.removeAll { rule in
                    (field == "service" ? rule.service : field == "path" ? rule.path : rule.method) != wanted
                }
            }
            return Response.json(["access_rules": .array(rules.map(accessRuleJSON)), "links": linksJSON(request)])
        }
        v3.get("users/{id}/access_rules/{rule}") { _, context in
            let userID = try ownerOrAdmin(context, action: "get_access_rule")
            guard
                let rule = try await store.accessRules(userID: userID).first(where: {
                    $0.id == context.parameter("rule")
                })
            else { throw NovaError.notFound("Could not find Access Rule: \(context.parameter("rule")).") }
            return Response.json(["access_rule": accessRuleJSON(rule)])
        }
        v3.delete("users/{id}/access_rules/{rule}") { _, context in
            let userID = try ownerOrAdmin(context, action: "delete_access_rule")
            try await requireUnrestricted(context)
            try await store.deleteAccessRule(id: context.parameter("rule"), userID: userID)
            return Response.empty(status: 204)
        }
    }

    /// The path's user when it is the caller or the caller is an admin (Keystone's `rule:owner` or admin).
    func ownerOrAdmin(_ context: NovaRequestContext, action: String) throws -> String {
        let caller = try context.caller()
        let userID = context.parameter("id")
        guard caller.userID == userID || caller.isAdmin else {
            throw NovaError.forbidden("You are not authorized to perform the requested action: identity:\(action).")
        }
        return userID
    }

    /// A restricted application credential's token may not manage application credentials, so it cannot make
    /// itself a longer-lived or broader one.
    func requireUnrestricted(_ context: NovaRequestContext) async throws {
        guard let token = context.authToken, let record = try await tokens.record(forToken: token),
            let id = record.applicationCredentialID
        else { return }
        guard let credential = try await store.applicationCredential(id: id), credential.unrestricted else {
            throw NovaError.forbidden(
                "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional application credentials."
            )
        }
    }

    func ownedApplicationCredential(_ context: NovaRequestContext) async throws -> ApplicationCredentialRecord {
        let id = context.parameter("credential")
        guard let credential = try await store.applicationCredential(id: id),
            credential.userID == context.parameter("id")
        else { throw NovaError.notFound("Could not find Application Credential: \(id).") }
        return credential
    }

    /// The credential a create body describes, and its secret (the one given, else 64 random bytes).
    func newApplicationCredential(_ spec: JSON, caller: Credentials) async throws -> (
        ApplicationCredentialRecord, String
    ) {
        try CheckedInput.onlyFields(
            ["name", "description", "secret", "expires_at", "roles", "unrestricted", "access_rules"], of: spec,
            field: "application_credential")
        guard let name = try CheckedInput.text(spec["name"], field: "name", length: 1...255) else {
            throw NovaError.badRequest("'name' is a required property")
        }
        // openstackclient sends nulls for what was not given.
        func given(_ field: String) -> JSON? { spec[field].flatMap { $0.isNull ? nil : $0 } }
        var secret = try CheckedInput.text(given("secret"), field: "secret", length: 1...4096) ?? ""
        if secret.isEmpty {
            secret = Data((0..<64).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        var expiresAt: Date?
        if let expires = spec["expires_at"], !expires.isNull {
            guard let text = expires.stringValue, let date = Timestamp.parse(text) else {
                throw NovaError.badRequest("Invalid input for field 'expires_at': not a date and time.")
            }
            guard date > clock.now else {
                throw NovaError.badRequest("Invalid input for field 'expires_at': it is in the past.")
            }
            expiresAt = date
        }
        let credential = ApplicationCredentialRecord(
            id: IdentityBootstrap.newID(), name: name, userID: caller.userID, projectID: caller.projectID,
            description: try CheckedInput.text(given("description"), field: "description", length: 0...255),
            secretHash: try PasswordHasher.hash(secret), expiresAt: expiresAt,
            unrestricted: try strictBool(given("unrestricted"), field: "unrestricted") ?? false,
            roleIDs: try await applicationCredentialRoles(spec["roles"], caller: caller).map(\.id),
            accessRules: try accessRules(spec["access_rules"], userID: caller.userID))
        return (credential, secret)
    }

    /// The roles asked for (by id or name) with those they imply, all of which the caller's token must hold;
    /// none asked for: the token's.
    func applicationCredentialRoles(_ value: JSON?, caller: Credentials) async throws -> [RoleRecord] {
        let held = try await store.effectiveRoles(userID: caller.userID, projectID: caller.projectID)
        guard let value, !value.isNull else { return held }
        guard let items = value.arrayValue else {
            throw NovaError.badRequest("Invalid input for field 'roles': not a list.")
        }
        // An empty list, as openstackclient sends without --role, asks for the token's roles (as Keystone reads it).
        guard !items.isEmpty else { return held }
        let all = try await store.roles()
        var asked: [RoleRecord] = []
        for item in items {
            let id = item["id"]?.stringValue
            let name = item["name"]?.stringValue
            guard let role = all.first(where: { role in id.map { role.id == $0 } ?? (role.name == name) }) else {
                throw NovaError.notFound("Could not find role: \(item.serialized().prefix(64)).")
            }
            asked.append(role)
        }
        let roles = try await store.withImpliedRoles(asked)
        guard roles.allSatisfy({ role in held.contains { $0.id == role.id } }) else {
            throw NovaError.badRequest(
                "Invalid application credential: Cannot create an application credential with unassigned role")
        }
        return roles
    }

    func accessRules(_ value: JSON?, userID: String) throws -> [AccessRuleRecord] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else {
            throw NovaError.badRequest("Invalid input for field 'access_rules': not a list.")
        }
        return try items.map { item in
            try CheckedInput.onlyFields(["id", "path", "method", "service"], of: item, field: "access_rules")
            guard let path = try CheckedInput.text(item["path"], field: "path", length: 1...225), path.hasPrefix("/")
            else {
                throw NovaError.badRequest("Invalid input for field 'path': an access rule's path starts with '/'.")
            }
            guard let method = try CheckedInput.text(item["method"], field: "method", length: 1...16),
                Self.accessRuleMethods.contains(method)
            else {
                throw NovaError.badRequest(
                    "Invalid input for field 'method': one of \(Self.accessRuleMethods.sorted()) is required.")
            }
            guard let service = try CheckedInput.text(item["service"], field: "service", length: 1...64),
                service.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            else { throw NovaError.badRequest("Invalid input for field 'service': a service type is required.") }
            let id = try CheckedInput.text(item["id"], field: "id", length: 1...64) ?? IdentityBootstrap.newID()
            return AccessRuleRecord(id: id, service: service, path: path, method: method)
        }
    }

    func applicationCredentialJSON(_ credential: ApplicationCredentialRecord) async throws -> JSONObject {
        let roles = try await store.roles().filter { credential.roleIDs.contains($0.id) }
        return [
            "id": .string(credential.id), "name": .string(credential.name),
            "description": .optional(credential.description), "project_id": .string(credential.projectID),
            "user_id": .string(credential.userID),
            "expires_at": credential.expiresAt.map { .string(Timestamp.keystone($0)) } ?? .null,
            "unrestricted": .bool(credential.unrestricted),
            "roles": .array(roles.map { ["id": .string($0.id), "name": .string($0.name), "domain_id": .null] }),
            "access_rules": .array(credential.accessRules.map(accessRuleJSON)),
            "links": [
                "self": .string("/identity/v3/users/\(credential.userID)/application_credentials/\(credential.id)")
            ],
        ]
    }

    func accessRuleJSON(_ rule: AccessRuleRecord) -> JSON {
        [
            "id": .string(rule.id), "service": .string(rule.service), "path": .string(rule.path),
            "method": .string(rule.method),
        ]
    }
}
