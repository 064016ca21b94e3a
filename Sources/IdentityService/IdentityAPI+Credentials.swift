import APISupport
import Crypto
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Keystone's credentials (`/v3/credentials`), the EC2 view of them (`/v3/users/{id}/credentials/OS-EC2`, what
/// `openstack ec2 credentials` calls) and `POST /v3/ec2tokens`, which turns a request signed with an EC2 key
/// pair into a token. Blobs are sealed at rest; a credential is its owner's or an admin's to see.
extension IdentityAPI {
    /// How far an EC2 request's own timestamp may be from now (Keystone's `[credential] auth_ttl`, minutes).
    static let ec2SignatureWindow: TimeInterval = 15 * 60

    func registerCredentials(on v3: RouterGroup<NovaRequestContext>) {
        v3.post("credentials") { request, context in
            let caller = try context.caller()
            let spec = try await member("credential", of: request, context)
            guard let blob = spec["blob"]?.stringValue, let type = spec["type"]?.stringValue,
                let userID = spec["user_id"]?.stringValue
            else { throw NovaError.badRequest("'blob', 'type' and 'user_id' are required properties") }
            try requireOwner(caller, userID, "create_credential")
            guard try await store.user(id: userID) != nil else {
                throw NovaError.notFound("Could not find user: \(userID).")
            }
            let projectID = spec["project_id"]?.stringValue
            let record = CredentialRecord(
                id: try Self.credentialID(type: type, blob: blob, projectID: projectID), userID: userID,
                projectID: projectID, type: type, sealedBlob: try cipher.seal(blob), createdAt: tokens.clock.now)
            try await store.createCredential(record)
            return Response.json(["credential": try credentialJSON(record)], status: 201)
        }
        v3.get("credentials") { request, context in
            let caller = try context.caller()
            // Anyone else's are left out for a non-admin, as Keystone filters the list by its policy.
            let user = caller.isAdmin ? request.query["user_id"] : caller.userID
            if let asked = request.query["user_id"], asked != user {
                return Response.json(["credentials": [], "links": linksJSON(request)])
            }
            let found = try await store.credentials(userID: user, type: request.query["type"])
            return Response.json(["credentials": .array(try found.map(credentialJSON)), "links": linksJSON(request)])
        }
        v3.get("credentials/{id}") { _, context in
            Response.json(["credential": try credentialJSON(try await ownedCredential(context, "get_credential"))])
        }
        v3.patch("credentials/{id}") { request, context in
            var record = try await ownedCredential(context, "update_credential")
            let spec = try await member("credential", of: request, context)
            if let type = spec["type"]?.stringValue { record.type = type }
            if let project = spec["project_id"] { record.projectID = project.stringValue }
            var blob = try cipher.open(record.sealedBlob)
            if let newBlob = spec["blob"]?.stringValue { blob = newBlob }
            guard
                try Self.credentialID(type: record.type, blob: blob, projectID: record.projectID) == record.id
                    || record.type != "ec2"
            else { throw NovaError.badRequest("Invalid blob in credential: an EC2 credential keeps its access key") }
            record.sealedBlob = try cipher.seal(blob)
            try await store.updateCredential(record)
            return Response.json(["credential": try credentialJSON(record)])
        }
        v3.delete("credentials/{id}") { _, context in
            let record = try await ownedCredential(context, "delete_credential")
            try await store.deleteCredential(id: record.id)
            return Response.empty(status: 204)
        }
        registerEC2Credentials(on: v3)
    }

    func registerEC2Credentials(on v3: RouterGroup<NovaRequestContext>) {
        let path = "users/{id}/credentials/OS-EC2"
        v3.post(RouterPath(path)) { request, context in
            let caller = try context.caller()
            let userID = context.parameter("id")
            try requireOwner(caller, userID, "ec2_create_credential")
            guard try await store.user(id: userID) != nil else {
                throw NovaError.notFound("Could not find user: \(userID).")
            }
            let body = try await request.jsonBody(context: context)
            guard let projectID = body["tenant_id"]?.stringValue ?? body["project_id"]?.stringValue else {
                throw NovaError.badRequest("'tenant_id' is a required property")
            }
            guard try await store.project(id: projectID) != nil else {
                throw NovaError.notFound("Could not find project: \(projectID).")
            }
            // A key pair is only good for a project its user works in.
            guard try await !store.effectiveRoles(userID: userID, projectID: projectID).isEmpty else {
                throw NovaError.forbidden("User \(userID) has no role on project \(projectID).")
            }
            let access = IdentityBootstrap.newID()
            let blob: JSON = [
                "access": .string(access), "secret": .string(IdentityBootstrap.newID()), "trust_id": .null,
            ]
            let record = CredentialRecord(
                id: Self.ec2ID(access), userID: userID, projectID: projectID, type: "ec2",
                sealedBlob: try cipher.seal(blob.serialized()), createdAt: tokens.clock.now)
            try await store.createCredential(record)
            return Response.json(["credential": try ec2JSON(record, request)], status: 201)
        }
        v3.get(RouterPath(path)) { request, context in
            let userID = context.parameter("id")
            try requireOwner(try context.caller(), userID, "ec2_list_credentials")
            let found = try await store.credentials(userID: userID, type: "ec2")
            return Response.json([
                "credentials": .array(try found.map { try ec2JSON($0, request) }), "links": linksJSON(request),
            ])
        }
        v3.get(RouterPath(path + "/{access}")) { request, context in
            Response.json(["credential": try ec2JSON(try await ownedEC2(context, "ec2_get_credential"), request)])
        }
        v3.delete(RouterPath(path + "/{access}")) { _, context in
            let record = try await ownedEC2(context, "ec2_delete_credential")
            try await store.deleteCredential(id: record.id)
            return Response.empty(status: 204)
        }
        v3.post("ec2tokens") { request, context in try await ec2Token(request, context) }
    }

    /// `POST /v3/ec2tokens`: the signed request's key pair must exist and its signature hold; the token is its
    /// user's, scoped to the key pair's project.
    func ec2Token(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let body = try await request.jsonBody(context: context)
        guard let fields = body["credentials"] ?? body["ec2Credentials"], fields.objectValue != nil else {
            throw NovaError.badRequest("Expecting to find credentials in request body.")
        }
        guard let signed = Self.signedRequest(fields) else {
            throw NovaError.badRequest("EC2 signature not supplied.")
        }
        // Keystone's messages: EC2 front ends tell an unknown key (AuthFailure) from a wrong signature by them.
        let refusal = NovaError.unauthorized("The request you have made requires authentication.")
        guard let record = try await store.credential(id: Self.ec2ID(signed.access)), record.type == "ec2",
            let secret = JSON.parse(Array(try cipher.open(record.sealedBlob).utf8))?["secret"]?.stringValue,
            let projectID = record.projectID
        else { throw NovaError.unauthorized("EC2 access key not found.") }
        do {
            guard
                try EC2Signature.verify(
                    signed, secret: secret, now: tokens.clock.now, window: Self.ec2SignatureWindow)
            else { throw NovaError.unauthorized("Invalid EC2 signature.") }
        } catch let failure as EC2Signature.Failure {
            throw NovaError.unauthorized("Invalid EC2 signature: \(failure)")
        }
        let handedKey = [record.id, request.query.contains("nocatalog") ? "" : request.baseURL(fallback: "")]
            .joined(separator: " ")
        if let (token, body) = tokens.handedToken(for: handedKey) {
            return Response.json(body, status: 200, headers: [.subjectToken: token])
        }
        guard let user = try await store.user(id: record.userID), user.enabled else { throw refusal }
        let roles = try await store.effectiveRoles(userID: user.id, projectID: projectID)
        guard !roles.isEmpty else { throw refusal }
        let (token, issued) = try await tokens.issue(userID: user.id, projectID: projectID)
        let tokenBody = try await tokenBody(
            issued, methods: ["ec2credential"], request: request, token: token, user: user, roles: roles)
        tokens.hand(token, body: tokenBody, for: handedKey)
        return Response.json(tokenBody, status: 200, headers: [.subjectToken: token])
    }

    static func signedRequest(_ fields: JSON) -> EC2SignedRequest? {
        guard let access = fields["access"]?.stringValue, let signature = fields["signature"]?.stringValue else {
            return nil
        }
        func strings(_ value: JSON?) -> [String: String] {
            var result: [String: String] = [:]
            for (key, value) in value?.objectValue?.entries ?? [] {
                result[key] = value.stringValue ?? (value.isNull ? "" : value.serialized())
            }
            return result
        }
        return EC2SignedRequest(
            access: access, signature: signature, host: fields["host"]?.stringValue ?? "",
            verb: fields["verb"]?.stringValue ?? "GET", path: fields["path"]?.stringValue ?? "/",
            params: strings(fields["params"]), headers: strings(fields["headers"]),
            bodyHash: fields["body_hash"]?.stringValue ?? SHA256.hash(data: Data()).hex)
    }

    /// Keystone's credential ids: an EC2 credential's is the SHA-256 of its access key, so that one key pair
    /// cannot be stored twice; other types get a random one.
    static func credentialID(type: String, blob: String, projectID: String?) throws -> String {
        guard type == "ec2" else { return IdentityBootstrap.newID() }
        guard let access = JSON.parse(Array(blob.utf8))?["access"]?.stringValue, !access.isEmpty else {
            throw NovaError.badRequest("Invalid blob in credential")
        }
        guard projectID != nil else {
            throw NovaError.badRequest("Invalid blob in credential: an EC2 credential needs a project_id")
        }
        return ec2ID(access)
    }

    static func ec2ID(_ access: String) -> String { SHA256.hash(data: Data(access.utf8)).hex }

    func requireOwner(_ caller: Credentials, _ userID: String, _ action: String) throws {
        guard caller.isAdmin || caller.userID == userID else {
            throw NovaError.forbidden("You are not authorized to perform the requested action: identity:\(action).")
        }
    }

    /// The credential of the path, if the caller may see it (a non-owner learns only that it is not found).
    func ownedCredential(_ context: NovaRequestContext, _ action: String) async throws -> CredentialRecord {
        let caller = try context.caller()
        let id = context.parameter("id")
        guard let record = try await store.credential(id: id), caller.isAdmin || record.userID == caller.userID else {
            throw NovaError.notFound("Could not find credential: \(id).")
        }
        return record
    }

    func ownedEC2(_ context: NovaRequestContext, _ action: String) async throws -> CredentialRecord {
        let userID = context.parameter("id")
        try requireOwner(try context.caller(), userID, action)
        let access = context.parameter("access")
        guard let record = try await store.credential(id: Self.ec2ID(access)), record.type == "ec2",
            record.userID == userID
        else { throw NovaError.notFound("Could not find credential: \(access).") }
        return record
    }

    func credentialJSON(_ record: CredentialRecord) throws -> JSON {
        [
            "id": .string(record.id), "user_id": .string(record.userID), "project_id": .optional(record.projectID),
            "type": .string(record.type), "blob": .string(try cipher.open(record.sealedBlob)),
            "links": ["self": .string("/identity/v3/credentials/\(record.id)")],
        ]
    }

    func ec2JSON(_ record: CredentialRecord, _ request: Request) throws -> JSON {
        let blob = JSON.parse(Array(try cipher.open(record.sealedBlob).utf8)) ?? .null
        let access = blob["access"]?.stringValue ?? ""
        return [
            "user_id": .string(record.userID), "tenant_id": .optional(record.projectID), "access": .string(access),
            "secret": blob["secret"] ?? .null, "trust_id": blob["trust_id"] ?? .null,
            "links": [
                "self": .string(
                    request.baseURL(fallback: "")
                        + "/identity/v3/users/\(record.userID)/credentials/OS-EC2/\(access)")
            ],
        ]
    }
}
