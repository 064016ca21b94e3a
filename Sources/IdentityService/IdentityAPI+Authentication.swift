import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// `POST /v3/auth/tokens`: password, token and application credential authentication, scoped to a project,
/// to the system, or not at all; and the token body Keystone answers with.
extension IdentityAPI {
    /// Who authenticated, and what the token inherits from how.
    struct Authenticated {
        var user: UserRecord
        var parent: TokenRecord?
        var applicationCredential: ApplicationCredentialRecord?
    }

    func authenticate(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let body = try await request.jsonBody(context: context)
        guard let auth = body["auth"], let identity = auth["identity"],
            let methods = identity["methods"]?.arrayValue?.compactMap(\.stringValue), !methods.isEmpty
        else {
            throw NovaError.badRequest(
                "Expecting to find identity in auth - the server could not comply with the request.")
        }
        let who = try await authenticatedUser(methods: methods, identity: identity, scope: auth["scope"])
        guard who.user.enabled else {
            throw NovaError.unauthorized("The account is disabled for user: \(who.user.id).")
        }
        guard try await store.domains().first(where: { $0.id == who.user.domainID })?.enabled != false else {
            throw NovaError.unauthorized("The request you have made requires authentication.")
        }
        let (token, record) = try await issueScoped(who, scope: auth["scope"])
        let body2 = try await tokenBody(record, methods: methods, request: request, token: token)
        return Response.json(body2, status: 201, headers: [.subjectToken: token])
    }

    func authenticatedUser(methods: [String], identity: JSON, scope: JSON?) async throws -> Authenticated {
        if methods.contains("password") {
            return Authenticated(user: try await passwordUser(identity["password"]?["user"]))
        }
        if methods.contains("token") {
            guard let tokenID = identity["token"]?["id"]?.stringValue,
                let record = try await tokens.record(forToken: tokenID),
                let found = try await store.user(id: record.userID)
            else { throw NovaError.unauthorized("The request you have made requires authentication.") }
            return Authenticated(user: found, parent: record)
        }
        if methods.contains("application_credential") {
            guard scope == nil else {
                throw NovaError.unauthorized(
                    "Error authenticating with application credential: Application credentials cannot request a scope.")
            }
            let credential = try await applicationCredential(identity["application_credential"])
            guard let user = try await store.user(id: credential.userID) else {
                throw NovaError.unauthorized("The request you have made requires authentication.")
            }
            return Authenticated(user: user, applicationCredential: credential)
        }
        throw NovaError.unauthorized("Unsupported authentication method: \(methods.joined(separator: ", "))")
    }

    /// Issues the token for the scope asked (else the parent token's, else the user's default project).
    func issueScoped(_ who: Authenticated, scope: JSON?) async throws -> (String, TokenRecord) {
        let user = who.user
        if let credential = who.applicationCredential {
            let (token, record) = try await tokens.issue(
                userID: user.id, projectID: credential.projectID, applicationCredential: credential)
            guard try await tokens.roles(of: record, now: clock.now) != nil else {
                _ = try await tokens.revoke(token)
                throw NovaError.unauthorized(
                    "Error authenticating with application credential: the user no longer holds its roles on the project."
                )
            }
            return (token, record)
        }
        // A token of an application credential keeps its project: it cannot be rescoped.
        if let parent = who.parent, parent.applicationCredentialID != nil {
            if scope != nil, try await scopedProject(scope) != parent.projectID {
                throw NovaError.forbidden("Application credential tokens cannot be rescoped.")
            }
            return try await tokens.issue(userID: user.id, projectID: parent.projectID, from: parent)
        }
        if let system = scope?["system"] {
            guard system["all"]?.boolValue == true else {
                throw NovaError.badRequest("Invalid input for field 'system': only {\"all\": true} is a system scope.")
            }
            return try await issueSystemScoped(user, parent: who.parent)
        }
        if scope == nil, let parent = who.parent, parent.systemScope != nil {
            return try await issueSystemScoped(user, parent: parent)
        }
        let inherited = who.parent.flatMap { $0.projectID.isEmpty ? nil : $0.projectID }
        var projectID = try await scopedProject(scope) ?? inherited ?? user.defaultProjectID ?? ""
        if scope?.stringValue == "unscoped" || scope?["unscoped"] != nil { projectID = "" }
        if !projectID.isEmpty, try await store.effectiveRoles(userID: user.id, projectID: projectID).isEmpty {
            if scope != nil {
                throw NovaError.unauthorized("User \(user.id) has no access to project \(projectID)")
            }
            projectID = ""
        }
        return try await tokens.issue(userID: user.id, projectID: projectID, from: who.parent)
    }

    func issueSystemScoped(_ user: UserRecord, parent: TokenRecord?) async throws -> (String, TokenRecord) {
        guard try await !store.effectiveSystemRoles(userID: user.id).isEmpty else {
            throw NovaError.unauthorized("User \(user.id) has no access to the system")
        }
        return try await tokens.issue(userID: user.id, projectID: "", from: parent, systemScope: "all")
    }

    func passwordUser(_ json: JSON?) async throws -> UserRecord {
        guard let json, let password = json["password"]?.stringValue else {
            throw NovaError.badRequest(
                "Expecting to find password in user - the server could not comply with the request.")
        }
        let candidate = try await namedUser(json)
        // An unknown user costs the same hashing as a known one, so that timing does not tell user names apart.
        let verified = PasswordHasher.verify(password, against: candidate?.passwordHash ?? PasswordHasher.dummyHash)
        guard let user = candidate, user.passwordHash != nil, verified else {
            throw NovaError.unauthorized("The request you have made requires authentication.")
        }
        return user
    }

    /// The user an auth body names: by id, or by name in a domain (Default when none is named).
    func namedUser(_ json: JSON) async throws -> UserRecord? {
        if let id = json["id"]?.stringValue { return try await store.user(id: id) }
        if let name = json["name"]?.stringValue {
            let domainID = try await domainID(json["domain"])
            return try await store.users(name: name, domainID: domainID).first
        }
        return nil
    }

    /// The application credential an auth body names (by id, or by name and user) once its secret is
    /// verified and it has not expired.
    func applicationCredential(_ json: JSON?) async throws -> ApplicationCredentialRecord {
        let refused = NovaError.unauthorized("The request you have made requires authentication.")
        guard let json, let secret = json["secret"]?.stringValue else {
            throw NovaError.badRequest("Invalid input for field 'secret': an application credential needs its secret.")
        }
        var candidate: ApplicationCredentialRecord?
        if let id = json["id"]?.stringValue {
            candidate = try await store.applicationCredential(id: id)
        } else if let name = json["name"]?.stringValue {
            guard let userJSON = json["user"] else {
                throw NovaError.badRequest("Expecting to find user in application credential.")
            }
            if let user = try await namedUser(userJSON) {
                candidate = try await store.applicationCredentials(userID: user.id, name: name).first
            }
        } else {
            throw NovaError.badRequest("Expecting to find name or ID in application credential.")
        }
        let verified = PasswordHasher.verify(secret, against: candidate?.secretHash ?? PasswordHasher.dummyHash)
        guard let credential = candidate, verified else { throw refused }
        if let expires = credential.expiresAt, expires <= clock.now {
            throw NovaError.unauthorized(
                "Error authenticating with application credential: Application credential has expired.")
        }
        return credential
    }

    func domainID(_ json: JSON?) async throws -> String {
        if let id = json?["id"]?.stringValue { return id }
        if let name = json?["name"]?.stringValue {
            guard let domain = try await store.domains(name: name).first else {
                throw NovaError.unauthorized("Could not find domain: \(name).")
            }
            return domain.id
        }
        return IdentityStore.defaultDomainID
    }

    func scopedProject(_ scope: JSON?) async throws -> String? {
        guard let project = scope?["project"] else { return nil }
        if let id = project["id"]?.stringValue {
            guard try await store.project(id: id) != nil else {
                throw NovaError.unauthorized("Could not find project: \(id).")
            }
            return id
        }
        if let name = project["name"]?.stringValue {
            let domainID = try await domainID(project["domain"])
            guard let found = try await store.projects(name: name, domainID: domainID).first else {
                throw NovaError.unauthorized("Could not find project: \(name).")
            }
            return found.id
        }
        return nil
    }

    /// A token as Keystone shows it; `request` decides the catalog's URLs and whether there is one at all
    /// (`?nocatalog`, as Keystone reads it on every call that answers a token). With `token`, what the token
    /// stands for is also kept in the validation cache (it was all read here).
    func tokenBody(
        _ record: TokenRecord, methods: [String], request: Request, token tokenText: String? = nil,
        user known: UserRecord? = nil, roles knownRoles: [RoleRecord]? = nil
    ) async throws -> JSON {
        let baseURL = request.baseURL(fallback: "")
        let withCatalog = !request.query.contains("nocatalog")
        guard let user = known?.id == record.userID ? known : try await store.user(id: record.userID) else {
            throw NovaError.notFound("Could not find user: \(record.userID).")
        }
        let domain: JSON = ["id": "default", "name": "Default"]
        var token: JSONObject = [
            "methods": .array(methods.map(JSON.string)),
            "user": [
                "id": .string(user.id), "name": .string(user.name), "domain": domain, "password_expires_at": .null,
            ],
            "audit_ids": .array(record.auditIDs.map(JSON.string)),
            "expires_at": .string(Timestamp.keystone(record.expiresAt)),
            "issued_at": .string(Timestamp.keystone(record.issuedAt)),
        ]
        var roles: [RoleRecord]?
        var accessRules: [AccessRule]?
        var projectName = ""
        var usable = user.enabled
        if record.systemScope != nil {
            token["system"] = ["all": true]
            roles = try await store.effectiveSystemRoles(userID: user.id)
        } else if !record.projectID.isEmpty, let project = try await store.project(id: record.projectID) {
            token["project"] = ["id": .string(project.id), "name": .string(project.name), "domain": domain]
            token["is_domain"] = false
            projectName = project.name
            usable = usable && project.enabled
            // The caller's own reading of the user's roles stands for a token without an application credential.
            var scoped: (roles: [RoleRecord], accessRules: [AccessRule]?)?
            if let knownRoles, record.applicationCredentialID == nil {
                scoped = (knownRoles, nil)
            } else {
                scoped = try await tokens.roles(of: record, now: clock.now)
            }
            roles = scoped?.roles ?? []
            accessRules = scoped?.accessRules
            usable = usable && scoped != nil
            if let id = record.applicationCredentialID, let credential = try await store.applicationCredential(id: id) {
                token["application_credential"] = [
                    "id": .string(credential.id), "name": .string(credential.name),
                    "restricted": .bool(!credential.unrestricted),
                    "access_rules": .array(credential.accessRules.map(accessRuleJSON)),
                ]
            }
        }
        if let roles {
            token["roles"] = .array(roles.map { ["id": .string($0.id), "name": .string($0.name)] })
            if withCatalog {
                token["catalog"] = try await catalog.json(
                    store: store, baseURL: baseURL, projectID: record.projectID, userID: user.id)
            }
            if let tokenText, usable, try await tokens.domainEnabled(user.domainID) {
                tokens.remember(
                    token: tokenText, record: record,
                    credentials: Credentials(
                        userID: user.id, userName: user.name, projectID: record.projectID, projectName: projectName,
                        roles: roles.map(\.name), systemScope: record.systemScope, accessRules: accessRules))
            }
        }
        return ["token": .object(token)]
    }
}
