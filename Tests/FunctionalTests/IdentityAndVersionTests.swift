import Foundation
import HTTPTypes
import NovaCore
import NovaTestSupport
import Testing

@Suite struct IdentityAndVersionTests {
    @Test func aTokenCarriesACatalogWithTheServices() async throws {
        try await withCloud { client, _ in
            let body: JSON = [
                "auth": [
                    "identity": [
                        "methods": ["password"],
                        "password": ["user": ["name": "admin", "domain": ["id": "default"], "password": "test-admin"]],
                    ],
                    "scope": ["project": ["name": "admin", "domain": ["id": "default"]]],
                ]
            ]
            let reply = try await client.request(.post, "/identity/v3/auth/tokens", body: body)
            #expect(reply.status == 201)
            let types = reply.json?["token"]?["catalog"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
            #expect(
                Set(types) == [
                    "identity", "compute", "image", "placement", "network", "block-storage", "volumev3", "ec2",
                ])
            // Block storage's URL carries the token's project, as Keystone substitutes `$(project_id)s`.
            let project = try #require(reply.json?["token"]?["project"]?["id"]?.stringValue)
            let volume = reply.json?["token"]?["catalog"]?.arrayValue?.first { $0["type"] == "block-storage" }
            let url = volume?["endpoints"]?.arrayValue?.first?["url"]?.stringValue ?? ""
            #expect(url.hasSuffix("/volume/v3/" + project), "\(url)")
            #expect(reply.json?["token"]?["roles"]?.arrayValue?.contains { $0["name"] == "admin" } == true)
        }
    }

    @Test func aWrongPasswordIs401InKeystoneFormat() async throws {
        try await withCloud { client, _ in
            let body: JSON = [
                "auth": [
                    "identity": [
                        "methods": ["password"],
                        "password": ["user": ["name": "admin", "domain": ["name": "Default"], "password": "wrong"]],
                    ]
                ]
            ]
            let reply = try await client.request(.post, "/identity/v3/auth/tokens", body: body)
            #expect(reply.status == 401)
            #expect(reply.json?["error"]?["code"]?.intValue == 401)
        }
    }

    @Test func aRevokedTokenNoLongerWorks() async throws {
        try await withCloud { client, _ in
            let token = try await client.adminToken()
            let other = try await client.adminToken()
            let revoke = try await client.request(
                .delete, "/identity/v3/auth/tokens", token: other, headers: [HTTPField.Name("X-Subject-Token")!: token])
            #expect(revoke.status == 204)
            let after = try await client.request(.get, "/compute/v2.1/flavors", token: token)
            #expect(after.status == 401)
            #expect(after.json?["unauthorized"]?["code"]?.intValue == 401)
        }
    }

    @Test func versionDiscoveryNeedsNoToken() async throws {
        try await withCloud { client, _ in
            let compute = try await client.request(.get, "/compute/v2.1")
            #expect(compute.json?["version"]?["version"]?.stringValue == APIVersion.maximum.description)
            let identity = try await client.request(.get, "/identity")
            #expect(identity.status == 300)
            let image = try await client.request(.get, "/image")
            #expect(image.status == 300)
            let servers = try await client.request(.get, "/compute/v2.1/servers")
            #expect(servers.status == 401)
        }
    }

    @Test func microversionsAreNegotiatedAndEchoed() async throws {
        try await withCloud { client, _ in
            let token = try await client.adminToken()
            let ok = try await client.request(.get, "/compute/v2.1/flavors/1", token: token, version: "2.61")
            #expect(ok.headers[HTTPField.Name("OpenStack-API-Version")!] == "compute 2.61")
            #expect(ok.headers[HTTPField.Name("X-OpenStack-Nova-API-Version")!] == "2.61")
            #expect(ok.json?["flavor"]?["extra_specs"] != nil)
            let old = try await client.request(.get, "/compute/v2.1/flavors/1", token: token)
            #expect(old.json?["flavor"]?["extra_specs"] == nil)
            #expect(old.json?["flavor"]?["description"] == nil)
            let tooNew = try await client.request(.get, "/compute/v2.1/flavors", token: token, version: "2.200")
            #expect(tooNew.status == 406)
            #expect(tooNew.json?["computeFault"]?["code"]?.intValue == 406)
            let malformed = try await client.request(.get, "/compute/v2.1/flavors", token: token, version: "two")
            #expect(malformed.status == 400)
            #expect(malformed.json?["badRequest"] != nil)
        }
    }

    @Test func imagesUploadAndDownloadWithChecksums() async throws {
        try await withCloud { client, _ in
            let token = try await client.adminToken()
            let created = try await client.request(
                .post, "/image/v2/images", token: token,
                body: ["name": "blob", "disk_format": "qcow2", "container_format": "bare", "os_distro": "debian"])
            #expect(created.status == 201)
            #expect(created.json?["status"] == "queued")
            #expect(created.json?["os_distro"] == "debian")
            let id = try #require(created.json?["id"]?.stringValue)
            let bytes = (0..<70_000).map { UInt8($0 % 251) }
            let upload = try await client.request(.put, "/image/v2/images/\(id)/file", token: token, rawBody: bytes)
            #expect(upload.status == 204)
            let shown = try await client.request(.get, "/image/v2/images/\(id)", token: token)
            #expect(shown.json?["status"] == "active")
            #expect(shown.json?["size"]?.intValue == 70_000)
            let download = try await client.request(.get, "/image/v2/images/\(id)/file", token: token)
            #expect(download.status == 200)
            let same = download.bytes == bytes
            #expect(same, "downloaded \(download.bytes.count) bytes differ from the upload")
            let again = try await client.request(.put, "/image/v2/images/\(id)/file", token: token, rawBody: bytes)
            #expect(again.status == 409)
            let patched = try await client.request(
                .patch, "/image/v2/images/\(id)", token: token,
                body: [
                    ["op": "replace", "path": "/name", "value": "renamed"],
                    ["op": "add", "path": "/hw_disk_bus", "value": "virtio"],
                ])
            #expect(patched.json?["name"] == "renamed")
            #expect(patched.json?["hw_disk_bus"] == "virtio")
            let filtered = try await client.request(.get, "/image/v2/images?id=in:\(id)", token: token)
            #expect(filtered.json?["images"]?.arrayValue?.count == 1)
            // Other keys filter by property; sorts by key and direction.
            let byProperty = try await client.request(.get, "/image/v2/images?hw_disk_bus=virtio", token: token)
            #expect(byProperty.json?["images"]?.arrayValue?.map { $0["id"] } == [.string(id)], "\(byProperty.text)")
            let none = try await client.request(.get, "/image/v2/images?hw_disk_bus=ide", token: token)
            #expect(none.json?["images"]?.arrayValue?.isEmpty == true)
            let byName = try await client.request(.get, "/image/v2/images?sort_key=name&sort_dir=asc", token: token)
            let names = byName.json?["images"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.count >= 2 && names == names.sorted(), "\(names)")
            #expect(try await client.request(.get, "/image/v2/images?sort_key=bogus", token: token).status == 400)
        }
    }
}
