import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// The Keystone v3 subset under `/identity`: discovery, password and token authentication, token
/// validation and revocation, and the admin calls Tempest's dynamic credentials use.
public struct IdentityAPI: Sendable {
    let store: IdentityStore
    let tokens: TokenService
    let catalog: ServiceCatalog
    /// Seals credential blobs at rest (`[credential] key_repository`).
    let cipher: CredentialCipher

    public init(
        store: IdentityStore, tokens: TokenService, cipher: CredentialCipher, catalog: ServiceCatalog = ServiceCatalog()
    ) {
        self.store = store
        self.tokens = tokens
        self.cipher = cipher
        self.catalog = catalog
    }

    public func register(on router: Router<NovaRequestContext>) {
        router.get("identity") { request, _ in
            Response.json(["versions": ["values": [versionDocument(request)]]], status: 300)
        }
        router.get("identity/v3") { request, _ in Response.json(["version": versionDocument(request)]) }
        let v3 = router.group("identity/v3")
        v3.post("auth/tokens") { request, context in try await authenticate(request, context) }
        v3.get("auth/tokens") { request, context in try await validateToken(request, context) }
        v3.head("auth/tokens") { request, context in
            _ = try await validateToken(request, context)
            return Response.empty(status: 200)
        }
        v3.delete("auth/tokens") { request, context in try await revokeToken(request, context) }
        v3.get("auth/projects") { request, context in try await authProjects(request, context) }
        v3.get("auth/catalog") { request, context in
            let caller = try context.caller()
            return Response.json([
                "catalog": catalog.json(baseURL: request.baseURL(fallback: ""), projectID: caller.projectID)
            ])
        }
        registerAdmin(on: v3)
        registerRoles(on: v3)
        registerUpdates(on: v3)
        registerGroups(on: v3)
        registerDomains(on: v3)
        registerCredentials(on: v3)
    }

    func versionDocument(_ request: Request) -> JSON {
        [
            "id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [["rel": "self", "href": .string(request.baseURL(fallback: "") + "/identity/v3/")]],
            "media-types": [["base": "application/json", "type": "application/vnd.openstack.identity-v3+json"]],
        ]
    }

    // MARK: Authentication

    func authenticate(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let body = try await request.jsonBody(context: context)
        guard let auth = body["auth"], let identity = auth["identity"],
            let methods = identity["methods"]?.arrayValue?.compactMap(\.stringValue), !methods.isEmpty
        else {
            throw NovaError.badRequest(
                "Expecting to find identity in auth - the server could not comply with the request.")
        }
        let user: UserRecord
        var inheritedProject: String?
        var parent: TokenRecord?
        if methods.contains("password") {
            user = try await passwordUser(identity["password"]?["user"])
        } else if methods.contains("token") {
            guard let tokenID = identity["token"]?["id"]?.stringValue,
                let record = try await tokens.record(forToken: tokenID),
                let found = try await store.user(id: record.userID)
            else { throw NovaError.unauthorized("The request you have made requires authentication.") }
            user = found
            parent = record
            inheritedProject = record.projectID.isEmpty ? nil : record.projectID
        } else {
            throw NovaError.unauthorized("Unsupported authentication method: \(methods.joined(separator: ", "))")
        }
        guard user.enabled else { throw NovaError.unauthorized("The account is disabled for user: \(user.id).") }
        guard try await store.domains().first(where: { $0.id == user.domainID })?.enabled != false else {
            throw NovaError.unauthorized("The request you have made requires authentication.")
        }

        var projectID = try await scopedProject(auth["scope"]) ?? inheritedProject ?? user.defaultProjectID ?? ""
        if auth["scope"]?.stringValue == "unscoped" { projectID = "" }
        if !projectID.isEmpty, try await store.roleNames(userID: user.id, projectID: projectID).isEmpty {
            if auth["scope"] != nil {
                throw NovaError.unauthorized("User \(user.id) has no access to project \(projectID)")
            }
            projectID = ""
        }
        let (token, record) = try await tokens.issue(userID: user.id, projectID: projectID, from: parent)
        let body2 = try await tokenBody(record, methods: methods, baseURL: request.baseURL(fallback: ""))
        return Response.json(body2, status: 201, headers: [.subjectToken: token])
    }

    func passwordUser(_ json: JSON?) async throws -> UserRecord {
        guard let json, let password = json["password"]?.stringValue else {
            throw NovaError.badRequest(
                "Expecting to find password in user - the server could not comply with the request.")
        }
        var candidate: UserRecord?
        if let id = json["id"]?.stringValue {
            candidate = try await store.user(id: id)
        } else if let name = json["name"]?.stringValue {
            let domainID = try await domainID(json["domain"])
            candidate = try await store.users(name: name, domainID: domainID).first
        }
        // An unknown user costs the same hashing as a known one, so that timing does not tell user names apart.
        let verified = PasswordHasher.verify(password, against: candidate?.passwordHash ?? PasswordHasher.dummyHash)
        guard let user = candidate, user.passwordHash != nil, verified else {
            throw NovaError.unauthorized("The request you have made requires authentication.")
        }
        return user
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

    func tokenBody(_ record: TokenRecord, methods: [String], baseURL: String) async throws -> JSON {
        guard let user = try await store.user(id: record.userID) else {
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
        if !record.projectID.isEmpty, let project = try await store.project(id: record.projectID) {
            let roles = try await store.roleNames(userID: user.id, projectID: project.id)
            token["project"] = ["id": .string(project.id), "name": .string(project.name), "domain": domain]
            token["is_domain"] = false
            token["roles"] = .array(roles.map { ["id": .string($0.id), "name": .string($0.name)] })
            token["catalog"] = catalog.json(baseURL: baseURL, projectID: project.id)
        }
        return ["token": .object(token)]
    }

    /// The token named by X-Subject-Token, for its own user, an admin or a service (Keystone's
    /// `identity:validate_token`, `check_token` and `revoke_token` rules); anyone else is refused with 403
    /// and learns nothing of it.
    func subjectRecord(_ request: Request, _ context: NovaRequestContext, action: String) async throws -> (
        String, TokenRecord
    ) {
        let caller = try context.caller()
        guard let subject = request.headers[.subjectToken] else {
            throw NovaError.badRequest("Expecting to find X-Subject-Token in the request.")
        }
        let record = try await tokens.record(forToken: subject)
        guard caller.isAdmin || caller.hasRole("service") || record?.userID == caller.userID else {
            throw NovaError.forbidden("You are not authorized to perform the requested action: identity:\(action).")
        }
        guard let record else {
            throw NovaError.notFound("Could not find token: \(subject.prefix(8))...")
        }
        return (subject, record)
    }

    func validateToken(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let action = request.method == .head ? "check_token" : "validate_token"
        let (subject, record) = try await subjectRecord(request, context, action: action)
        let body = try await tokenBody(record, methods: ["password"], baseURL: request.baseURL(fallback: ""))
        return Response.json(body, headers: [.subjectToken: subject])
    }

    func revokeToken(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let (subject, _) = try await subjectRecord(request, context, action: "revoke_token")
        _ = try await tokens.revoke(subject)
        return Response.empty(status: 204)
    }

    func authProjects(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let projects = try await store.projects(userID: caller.userID)
        return Response.json(["projects": .array(projects.map(projectJSON)), "links": linksJSON(request)])
    }

    func projectJSON(_ project: ProjectRecord) -> JSON {
        [
            "id": .string(project.id), "name": .string(project.name), "domain_id": .string(project.domainID),
            "description": .string(project.description), "enabled": .bool(project.enabled), "is_domain": false,
            "parent_id": .string(project.domainID), "tags": [],
            "links": ["self": .string("/identity/v3/projects/\(project.id)")],
        ]
    }

    func linksJSON(_ request: Request) -> JSON {
        ["self": .string(request.baseURL(fallback: "") + request.uri.path), "previous": .null, "next": .null]
    }
}
