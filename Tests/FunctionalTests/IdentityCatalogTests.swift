import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// The catalog managed through the API (what tokens carry changes with it), implied roles, and
/// system-scoped tokens.
@Suite struct IdentityCatalogTests {
    static let identity = "/identity/v3"

    static func login(_ user: String, _ password: String, scope: JSON?) -> JSON {
        var auth: JSONObject = [
            "identity": [
                "methods": ["password"],
                "password": [
                    "user": ["name": .string(user), "domain": ["id": "default"], "password": .string(password)]
                ],
            ]
        ]
        if let scope { auth["scope"] = scope }
        return ["auth": .object(auth)]
    }

    @Test func endpointsChangeWhatTokensCarry() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            // The seeded catalog: one service per API, three endpoints each, URLs on this listener.
            let services = try await client.request(.get, Self.identity + "/services", token: admin)
            let types = services.json?["services"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
            #expect(Set(types).isSuperset(of: ["compute", "identity", "image", "placement", "network", "volumev3"]))
            let endpoints = try await client.request(.get, Self.identity + "/endpoints?interface=public", token: admin)
            #expect(endpoints.json?["endpoints"]?.arrayValue?.count == types.count)
            #expect(try await client.request(.get, Self.identity + "/endpoints", token: demo).status == 403)
            #expect(
                try await client.request(
                    .post, Self.identity + "/services", token: demo, body: ["service": ["type": "x"]]
                ).status == 403)
            // A new service with an endpoint in a new region reaches the next token's catalog.
            let created = try await client.request(
                .post, Self.identity + "/services", token: admin,
                body: ["service": ["type": "object-store", "name": "swift", "description": "objects"]])
            #expect(created.status == 201, "\(created.text)")
            let serviceID = try #require(created.json?["service"]?["id"]?.stringValue)
            let badInterface = try await client.request(
                .post, Self.identity + "/endpoints", token: admin,
                body: [
                    "endpoint": [
                        "service_id": .string(serviceID), "interface": "outside", "url": "http://192.0.2.1:8080/v1",
                    ]
                ])
            #expect(badInterface.status == 400)
            #expect(
                try await client.request(
                    .post, Self.identity + "/endpoints", token: admin,
                    body: ["endpoint": ["service_id": "nope", "interface": "public", "url": "http://192.0.2.1/"]]
                ).status == 400)
            let endpoint = try await client.request(
                .post, Self.identity + "/endpoints", token: admin,
                body: [
                    "endpoint": [
                        "service_id": .string(serviceID), "interface": "public",
                        "url": "http://192.0.2.1:8080/v1/AUTH_$(project_id)s", "region_id": "RegionTwo",
                    ]
                ])
            #expect(endpoint.status == 201, "\(endpoint.text)")
            let endpointID = try #require(endpoint.json?["endpoint"]?["id"]?.stringValue)
            #expect(
                try await client.request(.get, Self.identity + "/regions/RegionTwo", token: admin).status == 200)
            // The region is in use: it stays.
            #expect(
                try await client.request(.delete, Self.identity + "/regions/RegionTwo", token: admin).status == 403)
            let fresh = try await client.request(
                .post, Self.identity + "/auth/tokens",
                body: Self.login("demo", cloud.firstStart.demoPassword ?? "", scope: nil))
            let catalog = fresh.json?["token"]?["catalog"]?.arrayValue ?? []
            let swift = try #require(catalog.first { $0["type"] == "object-store" })
            let projectID = try #require(fresh.json?["token"]?["project"]?["id"]?.stringValue)
            #expect(
                swift["endpoints"]?.arrayValue?.first?["url"]?.stringValue
                    == "http://192.0.2.1:8080/v1/AUTH_\(projectID)")
            #expect(swift["endpoints"]?.arrayValue?.first?["region_id"] == "RegionTwo")
            // Disabled, it leaves the catalog; deleted with its service, its endpoint goes too.
            #expect(
                try await client.request(
                    .patch, Self.identity + "/endpoints/\(endpointID)", token: admin,
                    body: ["endpoint": ["enabled": false]]
                ).status == 200)
            let later = try await client.request(
                .post, Self.identity + "/auth/tokens",
                body: Self.login("demo", cloud.firstStart.demoPassword ?? "", scope: nil))
            let laterSwift = later.json?["token"]?["catalog"]?.arrayValue?.first { $0["type"] == "object-store" }
            #expect(laterSwift?["endpoints"]?.arrayValue?.isEmpty == true)
            #expect(
                try await client.request(.delete, Self.identity + "/services/\(serviceID)", token: admin).status == 204)
            #expect(
                try await client.request(.get, Self.identity + "/endpoints/\(endpointID)", token: admin).status == 404)
            #expect(
                try await client.request(.delete, Self.identity + "/regions/RegionTwo", token: admin).status == 204)
            // A region cannot become its own ancestor.
            _ = try await client.request(.put, Self.identity + "/regions/east", token: admin, body: ["region": [:]])
            _ = try await client.request(
                .put, Self.identity + "/regions/east-1", token: admin, body: ["region": ["parent_region_id": "east"]])
            #expect(
                try await client.request(
                    .patch, Self.identity + "/regions/east", token: admin,
                    body: ["region": ["parent_region_id": "east-1"]]
                ).status == 400)
        }
    }

    @Test func impliedRolesAndSystemScope() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let roles = try await client.request(.get, Self.identity + "/roles", token: admin)
            let ids = Dictionary(
                uniqueKeysWithValues: roles.json?["roles"]?.arrayValue?.compactMap { role in
                    role["name"]?.stringValue.flatMap { name in role["id"]?.stringValue.map { (name, $0) } }
                } ?? [])
            // The bootstrap's chain: an admin's token carries the roles below admin too.
            let inferences = try await client.request(.get, Self.identity + "/role_inferences", token: admin)
            #expect(inferences.json?["role_inferences"]?.arrayValue?.count == 3)
            let adminLogin = try await client.request(
                .post, Self.identity + "/auth/tokens",
                body: Self.login(
                    "admin", "test-admin", scope: ["project": ["name": "admin", "domain": ["id": "default"]]]))
            let adminRoles = Set(
                adminLogin.json?["token"]?["roles"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
            #expect(adminRoles == ["admin", "manager", "member", "reader"])
            // A new role implied by member reaches the demo user's next token; admin can be implied by nothing.
            let created = try await client.request(
                .post, Self.identity + "/roles", token: admin, body: ["role": ["name": "observer"]])
            let observer = try #require(created.json?["role"]?["id"]?.stringValue)
            let member = try #require(ids["member"])
            let implies = try await client.request(
                .put, Self.identity + "/roles/\(member)/implies/\(observer)", token: admin)
            #expect(implies.status == 201, "\(implies.text)")
            #expect(implies.json?["role_inference"]?["implies"]?["name"] == "observer")
            #expect(
                try await client.request(
                    .put, Self.identity + "/roles/\(observer)/implies/\(try #require(ids["admin"]))", token: admin
                ).status == 403)
            let demoLogin = try await client.request(
                .post, Self.identity + "/auth/tokens",
                body: Self.login("demo", cloud.firstStart.demoPassword ?? "", scope: nil))
            let demoRoles = demoLogin.json?["token"]?["roles"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(demoRoles.contains("observer"))
            #expect(
                try await client.request(.delete, Self.identity + "/roles/\(member)/implies/\(observer)", token: admin)
                    .status == 204)
            #expect(
                try await client.request(.get, Self.identity + "/roles/\(member)/implies/\(observer)", token: admin)
                    .status == 404)
            // System scope: the admin has admin on the system; the demo user has nothing there.
            let system = try await client.request(
                .post, Self.identity + "/auth/tokens",
                body: Self.login("admin", "test-admin", scope: ["system": ["all": true]]))
            #expect(system.status == 201, "\(system.text)")
            #expect(system.json?["token"]?["system"]?["all"] == true)
            #expect(system.json?["token"]?["project"] == nil)
            let systemToken = try #require(system.headers[HTTPField.Name("X-Subject-Token")!])
            let denied = try await client.request(
                .post, Self.identity + "/auth/tokens",
                body: Self.login("demo", cloud.firstStart.demoPassword ?? "", scope: ["system": ["all": true]]))
            #expect(denied.status == 401)
            // Keystone's admin calls take it; Placement's and Nova's policies are for project scope (enforced, as
            // their defaults since 2023.1), so both refuse it.
            #expect(try await client.request(.get, Self.identity + "/endpoints", token: systemToken).status == 200)
            #expect(try await client.request(.get, "/placement/resource_providers", token: systemToken).status == 403)
            let servers = try await client.request(.get, "/compute/v2.1/servers", token: systemToken)
            #expect(servers.status == 403)
            #expect(servers.json?["forbidden"] != nil)
            // Granting a system role to the demo user: its system token then works.
            let users = try await client.request(.get, Self.identity + "/users?name=demo", token: admin)
            let demoID = try #require(users.json?["users"]?.arrayValue?.first?["id"]?.stringValue)
            let reader = try #require(ids["reader"])
            #expect(
                try await client.request(.put, Self.identity + "/system/users/\(demoID)/roles/\(reader)", token: admin)
                    .status == 204)
            let granted = try await client.request(
                .post, Self.identity + "/auth/tokens",
                body: Self.login("demo", cloud.firstStart.demoPassword ?? "", scope: ["system": ["all": true]]))
            #expect(granted.status == 201)
            #expect(granted.json?["token"]?["roles"]?.arrayValue?.map { $0["name"] } == ["reader"])
            let listed = try await client.request(
                .get, Self.identity + "/role_assignments?scope.system=all&user.id=\(demoID)", token: admin)
            #expect(
                listed.json?["role_assignments"]?.arrayValue?.first?["scope"]?["system"]?["all"] == true,
                "\(listed.text)")
        }
    }
}
