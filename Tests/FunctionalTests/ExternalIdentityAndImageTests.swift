import Foundation
import HTTPTypes
import NovaCloud
import NovaConfig
import NovaCore
import NovaTestSupport
import ServiceClients
import Testing

/// A cloud whose identity and image services are another's (`[keystone_authtoken]`, `[glance] api_servers`),
/// as with a genuine Keystone and Glance: here a second cloud's embedded ones stand in, over HTTP. The test
/// command runs the same against the genuine Keystone and Glance (Tests/ClientScenario/genuine_services.py).
@Suite struct ExternalIdentityAndImageTests {
    /// Runs `body` with cloud B pointed at cloud A's identity and image APIs (A live on a loopback port).
    static func withExternal(
        cacheTime: TimeInterval = 300,
        _ body: @Sendable (_ identity: CloudClient, _ cloud: CloudClient, _ keystoneURL: String) async throws -> Void
    ) async throws {
        try await withCloud(fakeHosts: 1, live: true) { identity, _ in
            let port = try #require(identity.client.port)
            let keystoneURL = "http://127.0.0.1:\(port)/identity"
            try await withCloud(fakeHosts: 1) { options in
                var keystone = KeystoneAuthTokenOptions(
                    credentials: ServiceCredentials(
                        authURL: keystoneURL, username: "admin", password: "test-admin", projectName: "admin"),
                    wwwAuthenticateURI: keystoneURL)
                keystone.cacheTime = cacheTime
                options.external.keystone = keystone
                options.external.glanceURL = "http://127.0.0.1:\(port)/image"
            } _: { cloud, _ in
                try await body(identity, cloud, keystoneURL)
            }
        }
    }

    @Test func tokensOfTheOtherKeystoneAreValidatedAndCached() async throws {
        try await Self.withExternal(cacheTime: 1) { identity, cloud, keystoneURL in
            let token = try await identity.adminToken()
            let flavors = try await cloud.request(.get, "/compute/v2.1/flavors", token: token)
            #expect(flavors.status == 200, "\(flavors.text)")
            #expect(flavors.json?["flavors"]?.arrayValue?.count == Flavor.defaults.count)
            // The embedded identity and image APIs are off.
            #expect(try await cloud.request(.get, "/identity/v3/projects", token: token).status == 404)
            #expect(try await cloud.request(.get, "/image/v2/images", token: token).status == 404)
            // Placement, networking and block storage take the same tokens.
            #expect(try await cloud.request(.get, "/placement/resource_providers", token: token).status == 200)
            #expect(try await cloud.request(.get, "/networking/v2.0/networks", token: token).status == 200)

            let refused = try await cloud.request(.get, "/compute/v2.1/servers", token: "not-a-token")
            #expect(refused.status == 401)
            #expect(refused.headers[.wwwAuthenticate] == "Keystone uri=\"\(keystoneURL)\"")
            let badService = try await cloud.request(
                .get, "/compute/v2.1/servers", token: token,
                headers: [HTTPField.Name("X-Service-Token")!: "not-a-token"])
            #expect(badService.status == 401)

            // Revoked at the other Keystone: still trusted within the cache time, refused after it.
            let member = try await identity.token(user: "admin", password: "test-admin", project: "demo")
            #expect(try await cloud.request(.get, "/compute/v2.1/servers", token: member).status == 200)
            let revoke = try await identity.request(
                .delete, "/identity/v3/auth/tokens", token: token,
                headers: [HTTPField.Name("X-Subject-Token")!: member])
            #expect(revoke.status == 204)
            try await Task.sleep(for: .milliseconds(1200))
            #expect(try await cloud.request(.get, "/compute/v2.1/servers", token: member).status == 401)
        }
    }

    @Test func serversBootFromTheOtherGlanceAndSnapshotIntoIt() async throws {
        try await Self.withExternal { identity, cloud, _ in
            let demo = try await identity.token(user: "admin", password: "test-admin", project: "demo")
            let projects = try await identity.request(.get, "/identity/v3/projects?name=demo", token: demo)
            let demoProject = try #require(projects.json?["projects"]?.arrayValue?.first?["id"]?.stringValue)
            let image = try await identity.defaultImage(token: demo)
            // The image proxy reads the other Glance with the caller's token.
            let proxied = try await cloud.request(.get, "/compute/v2.1/images/\(image)", token: demo)
            #expect(proxied.json?["image"]?["name"]?.stringValue == "tiny-boot-sector", "\(proxied.text)")
            #expect(try await cloud.request(.get, "/compute/v2.1/images/no-such-image", token: demo).status == 404)

            let id = try await cloud.createServer(
                "vm", token: demo, image: image, extra: ["networks": "none"], version: "2.45")
            _ = try await cloud.waitFor(id, status: "ACTIVE", token: demo)
            let snapshot = try await cloud.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: demo, version: "2.45",
                body: ["createImage": ["name": "vm-snap", "metadata": ["purpose": "test"]]])
            let snapshotID = try #require(snapshot.json?["image_id"]?.stringValue, "\(snapshot.text)")
            var found: JSON?
            for _ in 0..<100 {
                found = try await identity.request(.get, "/image/v2/images/\(snapshotID)", token: demo).json
                if found?["status"]?.stringValue == "active" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(found?["status"]?.stringValue == "active")
            #expect(found?["owner"]?.stringValue == demoProject)
            #expect(found?["instance_uuid"]?.stringValue == id)
            #expect(found?["image_type"]?.stringValue == "snapshot")
            #expect(found?["purpose"]?.stringValue == "test")

            // Metadata through the proxy lands in the other Glance.
            let set = try await cloud.request(
                .post, "/compute/v2.1/images/\(snapshotID)/metadata", token: demo,
                body: ["metadata": ["color": "blue"]])
            #expect(set.status == 200, "\(set.text)")
            let after = try await identity.request(.get, "/image/v2/images/\(snapshotID)", token: demo)
            #expect(after.json?["color"]?.stringValue == "blue")
            let deleted = try await cloud.request(.delete, "/compute/v2.1/images/\(snapshotID)", token: demo)
            #expect(deleted.status == 204, "\(deleted.text)")
            #expect(try await identity.request(.get, "/image/v2/images/\(snapshotID)", token: demo).status == 404)
        }
    }

    @Test func keystoneAuthTokenIsReadAsKeystonemiddlewareReadsIt() throws {
        let text = """
            [keystone_authtoken]
            www_authenticate_uri = http://keystone.example:5000
            auth_url = http://keystone.example:5000/v3
            auth_type = password
            username = nova
            password = secret
            project_name = service
            token_cache_time = -1
            service_token_roles = service, admin
            service_token_roles_required = true
            [glance]
            api_servers = http://glance.example:9292/
            """
        let options = try CloudOptions(config: try NovaConfig(text: text), dataDirectory: "/tmp/unused")
        let keystone = try #require(options.external.keystone)
        #expect(keystone.credentials.username == "nova" && keystone.credentials.projectName == "service")
        #expect(keystone.wwwAuthenticateURI == "http://keystone.example:5000")
        #expect(keystone.cacheTime == 0)
        #expect(keystone.serviceTokenRoles == ["service", "admin"] && keystone.serviceTokenRolesRequired)
        #expect(options.external.glanceURL == "http://glance.example:9292")
        #expect(!options.embeddedIdentity && !options.embeddedImages)

        for broken in [
            "[keystone_authtoken]\nauth_url = http://k:5000\nusername = nova\n",
            "[keystone_authtoken]\nauth_url = http://k:5000\nauth_type = v3token\nusername = a\npassword = b\n",
            "[keystone_authtoken]\nauth_url = http://k:5000\nusername = a\npassword = b\ntoken_cache_time = -2\n",
            "[glance]\napi_servers = http://glance.example:9292\n",
        ] {
            #expect(throws: ConfigError.self, "\(broken)") {
                try CloudOptions(config: try NovaConfig(text: broken), dataDirectory: "/tmp/unused")
            }
        }
    }

    @Test func aValidationIsReadAsKeystoneWritesIt() throws {
        let token: JSON = [
            "user": ["id": "u1", "name": "alice"], "project": ["id": "p1", "name": "demo"],
            "roles": [["id": "r1", "name": "member"], ["id": "r2", "name": "reader"]],
            "application_credential": [
                "id": "a1", "restricted": true,
                "access_rules": [["service": "compute", "method": "GET", "path": "/v2.1/servers"]],
            ],
        ]
        let credentials = try #require(KeystoneTokenValidator.credentials(fromValidation: token))
        #expect(credentials.userID == "u1" && credentials.projectID == "p1" && credentials.projectName == "demo")
        #expect(credentials.roles == ["member", "reader"])
        #expect(credentials.accessRules == [AccessRule(service: "compute", path: "/v2.1/servers", method: "GET")])
        let system = try #require(
            KeystoneTokenValidator.credentials(fromValidation: [
                "user": ["id": "u1"], "system": ["all": true], "roles": [],
            ]))
        #expect(system.systemScope == "all" && system.projectID.isEmpty)
        #expect(KeystoneTokenValidator.credentials(fromValidation: ["project": ["id": "p1"]]) == nil)
    }
}
