import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Application credentials: created by their user with a subset of its roles, authenticating with their
/// secret into their project, bounded by access rules, unable to make more of themselves, and gone with
/// their tokens when deleted or expired.
@Suite struct IdentityApplicationCredentialTests {
    static let identity = "/identity/v3"

    static func appCredentialLogin(_ id: String, _ secret: String) -> JSON {
        [
            "auth": [
                "identity": [
                    "methods": ["application_credential"],
                    "application_credential": ["id": .string(id), "secret": .string(secret)],
                ]
            ]
        ]
    }

    @Test func anApplicationCredentialAuthenticatesWithinItsBounds() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let admin = try await client.adminToken()
            let me = try await client.request(
                .get, Self.identity + "/auth/tokens", token: demo, headers: [HTTPField.Name("X-Subject-Token")!: demo])
            let userID = try #require(me.json?["token"]?["user"]?["id"]?.stringValue)
            let path = Self.identity + "/users/\(userID)/application_credentials"
            // Not for another user; not with a role the token lacks.
            let adminUsers = try await client.request(.get, Self.identity + "/users?name=admin", token: admin)
            let adminID = try #require(adminUsers.json?["users"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(
                try await client.request(
                    .post, Self.identity + "/users/\(adminID)/application_credentials", token: demo,
                    body: ["application_credential": ["name": "theirs"]]
                ).status == 403)
            #expect(
                try await client.request(
                    .post, path, token: demo,
                    body: ["application_credential": ["name": "escalate", "roles": [["name": "admin"]]]]
                ).status == 400)
            let created = try await client.request(
                .post, path, token: demo,
                body: [
                    "application_credential": [
                        "name": "ci", "description": "the CI job", "roles": [["name": "reader"]],
                    ]
                ])
            #expect(created.status == 201, "\(created.text)")
            let credential = try #require(created.json?["application_credential"])
            let id = try #require(credential["id"]?.stringValue)
            let secret = try #require(credential["secret"]?.stringValue)
            #expect(credential["roles"]?.arrayValue?.map { $0["name"] } == ["reader"])
            #expect(credential["unrestricted"] == false)
            #expect(
                try await client.request(.post, path, token: demo, body: ["application_credential": ["name": "ci"]])
                    .status == 409)
            // The secret is never shown again.
            let shown = try await client.request(.get, path + "/\(id)", token: demo)
            #expect(shown.status == 200)
            #expect(shown.json?["application_credential"]?["secret"] == nil)
            // Authenticating with it: the demo project, the reader role only.
            #expect(
                try await client.request(
                    .post, Self.identity + "/auth/tokens", body: Self.appCredentialLogin(id, "wrong")
                )
                .status == 401)
            let issued = try await client.request(
                .post, Self.identity + "/auth/tokens", body: Self.appCredentialLogin(id, secret))
            #expect(issued.status == 201, "\(issued.text)")
            #expect(issued.json?["token"]?["roles"]?.arrayValue?.map { $0["name"] } == ["reader"])
            #expect(issued.json?["token"]?["methods"] == ["application_credential"])
            #expect(issued.json?["token"]?["application_credential"]?["id"]?.stringValue == id)
            let token = try #require(issued.headers[HTTPField.Name("X-Subject-Token")!])
            // A reader lists servers but cannot boot one; and it cannot make another credential.
            #expect(try await client.request(.get, "/compute/v2.1/servers", token: token).status == 200)
            let image = try await client.defaultImage(token: demo)
            let boot = try await client.request(
                .post, "/compute/v2.1/servers", token: token,
                body: ["server": ["name": "x", "imageRef": .string(image), "flavorRef": "1", "networks": "none"]])
            #expect(boot.status == 403)
            #expect(
                try await client.request(.post, path, token: token, body: ["application_credential": ["name": "more"]])
                    .status == 403)
            // A scope cannot be asked for with it.
            let scoped: JSON = [
                "auth": [
                    "identity": Self.appCredentialLogin(id, secret)["auth"]?["identity"] ?? .null,
                    "scope": ["project": ["name": "admin", "domain": ["id": "default"]]],
                ]
            ]
            #expect(try await client.request(.post, Self.identity + "/auth/tokens", body: scoped).status == 401)
            // Deleted: its tokens stop at once.
            #expect(try await client.request(.delete, path + "/\(id)", token: demo).status == 204)
            #expect(try await client.request(.get, "/compute/v2.1/servers", token: token).status == 401)
            #expect(
                try await client.request(
                    .post, Self.identity + "/auth/tokens", body: Self.appCredentialLogin(id, secret)
                )
                .status == 401)
        }
    }

    @Test func accessRulesBoundWhatItsTokensCall() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let me = try await client.request(
                .get, Self.identity + "/auth/tokens", token: demo, headers: [HTTPField.Name("X-Subject-Token")!: demo])
            let userID = try #require(me.json?["token"]?["user"]?["id"]?.stringValue)
            let path = Self.identity + "/users/\(userID)/application_credentials"
            let created = try await client.request(
                .post, path, token: demo,
                body: [
                    "application_credential": [
                        "name": "lister", "secret": "my-own-secret",
                        "access_rules": [["service": "compute", "method": "GET", "path": "/v2.1/servers"]],
                        "expires_at": .string(Date().addingTimeInterval(3600).formatted(.iso8601)),
                    ]
                ])
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.json?["application_credential"]?["id"]?.stringValue)
            #expect(created.json?["application_credential"]?["secret"] == "my-own-secret")
            let issued = try await client.request(
                .post, Self.identity + "/auth/tokens", body: Self.appCredentialLogin(id, "my-own-secret"))
            let token = try #require(issued.headers[HTTPField.Name("X-Subject-Token")!])
            #expect(try await client.request(.get, "/compute/v2.1/servers", token: token).status == 200)
            #expect(try await client.request(.get, "/compute/v2.1/flavors", token: token).status == 401)
            #expect(try await client.request(.get, "/image/v2/images", token: token).status == 401)
            // Version documents need no token, so a restricted one does not stop clients discovering.
            #expect(try await client.request(.get, "/compute/v2.1", token: token).status == 200)
            // The rule is the user's: listed, and kept while a credential uses it.
            let rules = try await client.request(.get, Self.identity + "/users/\(userID)/access_rules", token: demo)
            let ruleID = try #require(rules.json?["access_rules"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(
                try await client.request(
                    .delete, Self.identity + "/users/\(userID)/access_rules/\(ruleID)", token: demo
                )
                .status == 403)
            #expect(try await client.request(.delete, path + "/\(id)", token: demo).status == 204)
            #expect(
                try await client.request(
                    .delete, Self.identity + "/users/\(userID)/access_rules/\(ruleID)", token: demo
                )
                .status == 204)
            // An expiry in the past is refused.
            #expect(
                try await client.request(
                    .post, path, token: demo,
                    body: ["application_credential": ["name": "old", "expires_at": "2001-01-01T00:00:00Z"]]
                ).status == 400)
        }
    }
}
