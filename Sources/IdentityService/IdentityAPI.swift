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

    var clock: any WallClock { tokens.clock }

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
                "catalog": try await catalog.json(
                    store: store, baseURL: request.baseURL(fallback: ""), projectID: caller.projectID,
                    userID: caller.userID)
            ])
        }
        registerAdmin(on: v3)
        registerRoles(on: v3)
        registerUpdates(on: v3)
        registerGroups(on: v3)
        registerDomains(on: v3)
        registerCredentials(on: v3)
        registerCatalog(on: v3)
        registerImpliedRoles(on: v3)
        registerApplicationCredentials(on: v3)
    }

    func versionDocument(_ request: Request) -> JSON {
        [
            "id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [["rel": "self", "href": .string(request.baseURL(fallback: "") + "/identity/v3/")]],
            "media-types": [["base": "application/json", "type": "application/vnd.openstack.identity-v3+json"]],
        ]
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
        let methods = record.applicationCredentialID == nil ? ["password"] : ["application_credential"]
        let body = try await tokenBody(record, methods: methods, request: request)
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
