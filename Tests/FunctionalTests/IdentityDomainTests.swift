import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Domains: created, renamed, disabled (its users' tokens stop), deleted only once disabled, with what is
/// in them; Default stays enabled.
@Suite struct IdentityDomainTests {
    static let identity = "/identity/v3"

    @Test func aDomainLivesAndDiesWithItsUsers() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            #expect(
                try await client.request(
                    .post, Self.identity + "/domains", token: demo, body: ["domain": ["name": "x"]]
                ).status == 403)
            let created = try await client.request(
                .post, Self.identity + "/domains", token: admin,
                body: ["domain": ["name": "partners", "description": "p"]])
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.json?["domain"]?["id"]?.stringValue)
            #expect(
                try await client.request(
                    .post, Self.identity + "/domains", token: admin, body: ["domain": ["name": "partners"]]
                ).status == 409)
            let project = try await client.request(
                .post, Self.identity + "/projects", token: admin,
                body: ["project": ["name": "p", "domain_id": .string(id)]])
            let projectID = try #require(project.json?["project"]?["id"]?.stringValue)
            let user = try await client.request(
                .post, Self.identity + "/users", token: admin,
                body: ["user": ["name": "partner", "password": "pw", "domain_id": .string(id)]])
            let userID = try #require(user.json?["user"]?["id"]?.stringValue)
            let roles = try await client.request(.get, Self.identity + "/roles?name=member", token: admin)
            let member = try #require(roles.json?["roles"]?.arrayValue?.first?["id"]?.stringValue)
            _ = try await client.request(
                .put, Self.identity + "/projects/\(projectID)/users/\(userID)/roles/\(member)", token: admin)
            let login: JSON = [
                "auth": [
                    "identity": [
                        "methods": ["password"], "password": ["user": ["id": .string(userID), "password": "pw"]],
                    ],
                    "scope": ["project": ["id": .string(projectID)]],
                ]
            ]
            let issued = try await client.request(.post, Self.identity + "/auth/tokens", body: login)
            let token = try #require(issued.headers[HTTPField.Name("X-Subject-Token")!], "\(issued.text)")
            #expect(try await client.request(.get, "/compute/v2.1/servers", token: token).status == 200)
            // Enabled, it cannot be deleted; disabled, its users' tokens and logins stop.
            #expect(try await client.request(.delete, Self.identity + "/domains/\(id)", token: admin).status == 403)
            let disabled = try await client.request(
                .patch, Self.identity + "/domains/\(id)", token: admin,
                body: ["domain": ["enabled": false, "name": "former"]])
            #expect(disabled.json?["domain"]?["enabled"] == false && disabled.json?["domain"]?["name"] == "former")
            #expect(try await client.request(.get, "/compute/v2.1/servers", token: token).status == 401)
            #expect(try await client.request(.post, Self.identity + "/auth/tokens", body: login).status == 401)
            #expect(try await client.request(.delete, Self.identity + "/domains/\(id)", token: admin).status == 204)
            #expect(try await client.request(.get, Self.identity + "/users/\(userID)", token: admin).status == 404)
            #expect(
                try await client.request(.get, Self.identity + "/projects/\(projectID)", token: admin).status == 404)
            // Default holds the admin: it stays enabled.
            #expect(
                try await client.request(
                    .patch, Self.identity + "/domains/default", token: admin, body: ["domain": ["enabled": false]]
                ).status == 403)
        }
    }
}
