import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    func registerKeyPairs(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-keypairs") { request, context in
            let user = try keypairUser(request.query["user_id"], context)
            let keypairs = try await store.keyPairs(userID: user)
            let page = try Page(request.query, maxLimit: config.maxLimit)
            let (items, full) = try page.apply(keypairs, id: \.name)
            var body: JSONObject = [
                "keypairs": .array(items.map { ["keypair": keypairSummary($0, context)] })
            ]
            if full, context.apiVersion >= APIVersion(2, 35), let last = items.last {
                body["keypairs_links"] = Page.nextLink(
                    request, base: base(request), lastID: last.name, limit: page.limit)
            }
            return Response.json(.object(body))
        }
        v21.post("os-keypairs") { request, context in try await createKeyPair(request, context) }
        v21.get("os-keypairs/{name}") { request, context in
            let user = try keypairUser(request.query["user_id"], context)
            guard let keypair = try await store.keyPair(name: context.parameter("name"), userID: user) else {
                throw NovaError.notFound("Keypair \(context.parameter("name")) not found for user \(user)")
            }
            var json = keypairSummary(keypair, context).objectValue ?? [:]
            json["user_id"] = .string(keypair.userID)
            json["created_at"] = .string(Timestamp.naive(keypair.createdAt))
            json["updated_at"] = .null
            json["deleted_at"] = .null
            json["deleted"] = false
            json["id"] = .int(keypair.id)
            return Response.json(["keypair": .object(json)])
        }
        v21.delete("os-keypairs/{name}") { request, context in
            let user = try keypairUser(request.query["user_id"], context)
            try await store.deleteKeyPair(name: context.parameter("name"), userID: user)
            return Response.empty(status: context.apiVersion >= APIVersion(2, 2) ? 204 : 202)
        }
    }

    /// The user whose keypairs are meant: the caller, or (2.10+, admin) the one named.
    func keypairUser(_ requested: String?, _ context: NovaRequestContext) throws -> String {
        let caller = try context.caller()
        guard let requested, context.apiVersion >= APIVersion(2, 10), requested != caller.userID else {
            return caller.userID
        }
        try PolicyRule.admin.enforce("os_compute_api:os-keypairs:index", caller)
        return requested
    }

    func keypairSummary(_ keypair: KeyPairRecord, _ context: NovaRequestContext) -> JSON {
        var json: JSONObject = [
            "name": .string(keypair.name), "public_key": .string(keypair.publicKey),
            "fingerprint": .string(keypair.fingerprint),
        ]
        if context.apiVersion >= APIVersion(2, 2) { json["type"] = .string(keypair.type) }
        return .object(json)
    }

    func createKeyPair(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let body = try await request.jsonBody(context: context)
        guard let spec = body["keypair"]?.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute keypair. 'keypair' is a required property")
        }
        let version = context.apiVersion
        guard let name = spec["name"]?.stringValue, (1...255).contains(name.count),
            name.allSatisfy({
                $0.isASCII
                    && ($0.isLetter || $0.isNumber || " _-".contains($0)
                        || (version >= APIVersion(2, 92) && "@.".contains($0)))
            }),
            name.trimmingCharacters(in: .whitespaces) == name
        else {
            throw NovaError.badRequest("Keypair data is invalid: Keypair name contains unsafe characters")
        }
        let type = version >= APIVersion(2, 2) ? (spec["type"]?.stringValue ?? "ssh") : "ssh"
        guard type == "ssh" || type == "x509" else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute type. Value: \(type). It must be one of ssh, x509")
        }
        let user = try keypairUser(spec["user_id"]?.stringValue, context)
        let limit = try await store.quotaLimits(projectID: try context.caller().projectID).limit(.keyPairs)
        var privateKey: String?
        let publicKey: String
        let fingerprint: String
        if let given = spec["public_key"]?.stringValue {
            publicKey = given.trimmingCharacters(in: .whitespacesAndNewlines)
            fingerprint = try SSHKeys.fingerprint(publicKey: publicKey)
        } else {
            guard version < APIVersion(2, 92) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute keypair. 'public_key' is a required property")
            }
            let generated = SSHKeys.generate()
            publicKey = generated.publicKey
            privateKey = generated.privateKey
            fingerprint = generated.fingerprint
        }
        let keypair = try await store.createKeyPair(
            name: name, userID: user, fingerprint: fingerprint, publicKey: publicKey, type: type, limit: limit)
        var json = keypairSummary(keypair, context).objectValue ?? [:]
        json["user_id"] = .string(keypair.userID)
        if let privateKey { json["private_key"] = .string(privateKey) }
        return Response.json(["keypair": .object(json)], status: version >= APIVersion(2, 2) ? 201 : 200)
    }
}
