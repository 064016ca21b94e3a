import Foundation
import HTTPTypes
import IdentityService
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Keystone's credentials and EC2 key pairs (`openstack ec2 credentials ...`), `POST /v3/ec2tokens` with a
/// signed request, and role CRUD: who may see and do what, and blobs sealed at rest.
@Suite struct IdentityCredentialTests {
    static let identity = "/identity/v3"

    static func who(_ client: CloudClient, _ token: String) async throws -> (user: String, project: String) {
        let reply = try await client.request(
            .get, identity + "/auth/tokens", token: token, headers: [HTTPField.Name("X-Subject-Token")!: token])
        return (
            try #require(reply.json?["token"]?["user"]?["id"]?.stringValue),
            try #require(reply.json?["token"]?["project"]?["id"]?.stringValue)
        )
    }

    /// What an EC2 client sends, signed with Version 4 by `secret`, as Keystone's ec2tokens takes it.
    static func signed(access: String, secret: String, at date: Date = Date()) throws -> JSON {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stamp = format.string(from: date)
        var request = EC2SignedRequest(
            access: access, signature: "", host: "127.0.0.1:8788", verb: "GET", path: "/",
            params: ["Action": "DescribeRegions", "Version": "2016-11-15"],
            headers: [
                "Host": "127.0.0.1:8788", "X-Amz-Date": stamp,
                "Authorization":
                    "AWS4-HMAC-SHA256 Credential=\(access)/\(stamp.prefix(8))/RegionOne/ec2/aws4_request, "
                    + "SignedHeaders=host;x-amz-date, Signature=x",
            ],
            bodyHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        request.signature = try EC2Signature.signature(of: request, secret: secret)
        return [
            "credentials": [
                "access": .string(access), "signature": .string(request.signature), "host": .string(request.host),
                "verb": "GET", "path": "/", "params": ["Action": "DescribeRegions", "Version": "2016-11-15"],
                "headers": .object(JSONObject(request.headers.map { ($0.key, JSON.string($0.value)) })),
                "body_hash": .string(request.bodyHash),
            ]
        ]
    }

    @Test func ec2KeyPairsAreTheirOwnersAndSignedRequestsGetTokens() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let (demoUser, demoProject) = try await Self.who(client, demo)
            let (adminUser, adminProject) = try await Self.who(client, admin)
            let mine = Self.identity + "/users/\(demoUser)/credentials/OS-EC2"
            let created = try await client.request(.post, mine, token: demo, body: ["tenant_id": .string(demoProject)])
            #expect(created.status == 201, "\(created.text)")
            let access = try #require(created.json?["credential"]?["access"]?.stringValue)
            let secret = try #require(created.json?["credential"]?["secret"]?.stringValue)
            #expect(created.json?["credential"]?["tenant_id"]?.stringValue == demoProject)
            // Someone else's key pairs, or one for a project without a role there, are refused.
            let others = Self.identity + "/users/\(adminUser)/credentials/OS-EC2"
            #expect(
                try await client.request(.post, others, token: demo, body: ["tenant_id": .string(adminProject)]).status
                    == 403)
            #expect(
                try await client.request(.post, mine, token: demo, body: ["tenant_id": .string(adminProject)]).status
                    == 403)
            #expect(try await client.request(.get, others, token: demo).status == 403)
            let listed = try await client.request(.get, mine, token: demo)
            #expect(listed.json?["credentials"]?.arrayValue?.map { $0["access"] } == [.string(access)])
            // The same pair as a Keystone credential: its id is the access key's SHA-256, its blob the pair.
            let all = try await client.request(.get, Self.identity + "/credentials?type=ec2", token: admin)
            let credential = try #require(
                all.json?["credentials"]?.arrayValue?.first { $0["user_id"] == .string(demoUser) })
            #expect(credential["blob"]?.stringValue?.contains(secret) == true)
            let stored = try await cloud.identityStore.credentials(userID: demoUser)
            #expect(stored.count == 1 && !stored[0].sealedBlob.contains(secret), "sealed at rest")
            #expect(
                try await client.request(.get, Self.identity + "/credentials", token: demo).json?["credentials"]?
                    .arrayValue?.count == 1)

            // A request signed with the pair gets a token of its user in its project; a bad signature does not.
            let token = try await client.request(
                .post, Self.identity + "/ec2tokens", body: try Self.signed(access: access, secret: secret))
            #expect(token.status == 200, "\(token.text)")
            #expect(token.json?["token"]?["project"]?["id"]?.stringValue == demoProject)
            #expect(token.json?["token"]?["methods"] == ["ec2credential"])
            let issued = try #require(token.headers[HTTPField.Name("X-Subject-Token")!])
            #expect(try await Self.who(client, issued).user == demoUser)
            // A burst of signed requests shares the token (while its validation is cached); once it is revoked,
            // the next request gets a new one.
            let subject = HTTPField.Name("X-Subject-Token")!
            let again = try await client.request(
                .post, Self.identity + "/ec2tokens", body: try Self.signed(access: access, secret: secret))
            #expect(again.status == 200 && again.headers[subject] == issued)
            let revoked = try await client.request(
                .delete, Self.identity + "/auth/tokens", token: demo, headers: [subject: issued])
            #expect(revoked.status == 204)
            let fresh = try await client.request(
                .post, Self.identity + "/ec2tokens", body: try Self.signed(access: access, secret: secret))
            #expect(fresh.status == 200 && fresh.headers[subject] != nil && fresh.headers[subject] != issued)
            let forged = try await client.request(
                .post, Self.identity + "/ec2tokens", body: try Self.signed(access: access, secret: "guess"))
            #expect(forged.status == 401)
            let stale = try await client.request(
                .post, Self.identity + "/ec2tokens",
                body: try Self.signed(access: access, secret: secret, at: Date().addingTimeInterval(-3600)))
            #expect(stale.status == 401)
            // Deleted, the pair signs nothing any more.
            #expect(try await client.request(.delete, mine + "/\(access)", token: demo).status == 204)
            let gone = try await client.request(
                .post, Self.identity + "/ec2tokens", body: try Self.signed(access: access, secret: secret))
            #expect(gone.status == 401)
            // /v3/credentials directly: an EC2 blob needs an access key and a project; the pair cannot be stored twice.
            let blob = #"{"access": "a1", "secret": "s1"}"#
            let direct: JSON = [
                "credential": [
                    "blob": .string(blob), "type": "ec2", "user_id": .string(demoUser),
                    "project_id": .string(demoProject),
                ]
            ]
            #expect(
                try await client.request(.post, Self.identity + "/credentials", token: demo, body: direct).status == 201
            )
            #expect(
                try await client.request(.post, Self.identity + "/credentials", token: demo, body: direct).status == 409
            )
            let noProject: JSON = ["credential": ["blob": .string(blob), "type": "ec2", "user_id": .string(demoUser)]]
            #expect(
                try await client.request(.post, Self.identity + "/credentials", token: demo, body: noProject).status
                    == 400)
        }
    }

    @Test func rolesAreCreatedRenamedAndDeletedByAdmins() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let roles = Self.identity + "/roles"
            #expect(try await client.request(.post, roles, token: demo, body: ["role": ["name": "x"]]).status == 403)
            let created = try await client.request(
                .post, roles, token: admin, body: ["role": ["name": "auditor", "description": "reads"]])
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.json?["role"]?["id"]?.stringValue)
            #expect(
                try await client.request(.post, roles, token: admin, body: ["role": ["name": "auditor"]]).status == 409)
            let renamed = try await client.request(
                .patch, roles + "/\(id)", token: admin, body: ["role": ["name": "inspector"]])
            #expect(renamed.json?["role"]?["name"] == "inspector" && renamed.json?["role"]?["description"] == "reads")
            // Assigned, then deleted with its assignments.
            let (demoUser, demoProject) = try await Self.who(client, demo)
            let assignment = Self.identity + "/projects/\(demoProject)/users/\(demoUser)/roles/\(id)"
            #expect(try await client.request(.put, assignment, token: admin).status == 204)
            #expect(try await client.request(.delete, roles + "/\(id)", token: admin).status == 204)
            #expect(try await client.request(.head, assignment, token: admin).status == 404)
            #expect(try await client.request(.get, roles + "/\(id)", token: admin).status == 404)
            // The roles the services' policies read stay.
            let member = try await client.request(.get, roles + "?name=member", token: admin)
            let memberID = try #require(member.json?["roles"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await client.request(.delete, roles + "/\(memberID)", token: admin).status == 403)
        }
    }
}
