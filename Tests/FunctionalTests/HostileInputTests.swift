import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Requests an attacker with a member's account would send (issue 17's findings): each is refused with the
/// service's own error and changes nothing, and the cloud keeps answering.
@Suite struct HostileInputTests {
    static let subjectToken = HTTPField.Name("X-Subject-Token")!

    @Test func imageIdsThatAreNotUUIDsAreRefusedAndTheStoreStaysWhole() async throws {
        try await withCloud { client, cloud in
            let token = try await client.demoToken(cloud)
            let hostile = ["..", ".", "a/b", "../../../tmp/x", "x\u{0}y", "", String(repeating: "a", count: 2000)]
            for id in hostile {
                let body: JSON = [
                    "id": .string(id), "name": "x", "disk_format": "raw", "container_format": "bare",
                ]
                let reply = try await client.request(.post, "/image/v2/images", token: token, body: body)
                #expect(reply.status == 400, "id \(id.debugDescription) gave \(reply.status)")
            }
            let delete = try await client.request(.delete, "/image/v2/images/..", token: token)
            #expect(delete.status == 404)
            let upload = try await client.request(
                .put, "/image/v2/images/./file", token: token, rawBody: [1, 2, 3],
                headers: [.contentType: "application/octet-stream"])
            #expect(upload.status == 404)
            #expect(!upload.text.contains(cloud.options.dataDirectory))
            // The default image's data is still served, and a new image uploads.
            let image = try await client.defaultImage(token: token)
            let data = try await client.request(.get, "/image/v2/images/\(image)/file", token: token)
            #expect(data.status == 200 && !data.bytes.isEmpty)
            let created = try await client.request(
                .post, "/image/v2/images", token: token,
                body: ["name": "mine", "disk_format": "raw", "container_format": "bare"])
            let id = try #require(created.json?["id"]?.stringValue)
            let put = try await client.request(
                .put, "/image/v2/images/\(id)/file", token: token, rawBody: Array(repeating: 7, count: 4096),
                headers: [.contentType: "application/octet-stream"])
            #expect(put.status == 204)
            let files = try FileManager.default.contentsOfDirectory(atPath: cloud.options.dataDirectory + "/images")
            #expect(!files.contains { $0.hasSuffix(".partial") })
        }
    }

    /// Whole numbers of 2^63 and more used to stop the process (SIGILL in `Int(Double)`).
    @Test(arguments: ["1e308", "18446744073709551616", "-1e308", "9223372036854775808"])
    func extremeNumbersAre400NamingTheField(_ number: String) async throws {
        try await withCloud { client, cloud in
            let admin = try await client.adminToken()
            let member = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: member)
            let server = try await client.createServer("victim", token: member, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: member)
            let cases: [(String, String, String, String, String)] = [
                (
                    member, "POST", "/compute/v2.1/servers/\(server)/action",
                    #"{"os-getConsoleOutput": {"length": N}}"#, "length"
                ),
                (
                    member, "POST", "/compute/v2.1/servers",
                    #"{"server": {"name": "a", "flavorRef": "1", "imageRef": "\#(image)", "min_count": N}}"#,
                    "min_count"
                ),
                (
                    member, "POST", "/compute/v2.1/os-server-groups",
                    #"{"server_group": {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": N}}}"#,
                    "max_server_per_host"
                ),
                (member, "POST", "/image/v2/images", #"{"name": "i", "min_disk": N}"#, "min_disk"),
                (
                    member, "POST", "/compute/v2.1/servers/\(server)/action",
                    #"{"createBackup": {"name": "b", "backup_type": "daily", "rotation": N}}"#, "rotation"
                ),
                (
                    admin, "POST", "/compute/v2.1/flavors",
                    #"{"flavor": {"name": "f", "ram": N, "vcpus": 1, "disk": 1}}"#, "ram"
                ),
                (
                    admin, "PUT", "/compute/v2.1/os-quota-sets/some-project", #"{"quota_set": {"instances": N}}"#,
                    "instances"
                ),
            ]
            let version = "2.64"
            for (token, method, path, template, field) in cases {
                let reply = try await client.request(
                    method == "PUT" ? .put : .post, path, token: token, version: version,
                    rawBody: Array(template.replacingOccurrences(of: "N", with: number).utf8),
                    headers: [.contentType: "application/json"])
                #expect(reply.status == 400, "\(path) \(field)=\(number): \(reply.status) \(reply.text)")
                #expect(reply.text.contains(field), "\(path): the message names \(field): \(reply.text)")
            }
            let provider = try await client.request(
                .post, "/placement/resource_providers", token: admin, version: "1.20", body: ["name": "rp"])
            let uuid = try #require(provider.json?["uuid"]?.stringValue)
            for (field, body) in [
                ("total", #"{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": N}}}"#),
                (
                    "allocation_ratio",
                    #"{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8, "allocation_ratio": 1e300}}}"#
                ),
                ("resource_provider_generation", #"{"resource_provider_generation": N, "inventories": {}}"#),
            ] {
                let reply = try await client.request(
                    .put, "/placement/resource_providers/\(uuid)/inventories", token: admin, version: "1.20",
                    rawBody: Array(body.replacingOccurrences(of: "N", with: number).utf8),
                    headers: [.contentType: "application/json"])
                #expect(reply.status == 400, "inventories \(field)=\(number): \(reply.status) \(reply.text)")
                #expect(reply.json?["errors"]?.arrayValue?.first?["detail"]?.stringValue?.contains(field) == true)
            }
            // Still up, and the server unchanged.
            let show = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: member)
            #expect(show.json?["server"]?["status"] == "ACTIVE")
        }
    }

    @Test func aMaxCountNearIntMaxIsAQuotaAnswerNotATrapOrALoop() async throws {
        try await withCloud { client, cloud in
            let member = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: member)
            for count in ["9223372036854775807", "4611686018427387904", "2147483647"] {
                let body =
                    #"{"server": {"name": "many", "flavorRef": "1", "imageRef": "\#(image)", "max_count": \#(count)}}"#
                let reply = try await client.request(
                    .post, "/compute/v2.1/servers", token: member, rawBody: Array(body.utf8),
                    headers: [.contentType: "application/json"])
                // 2^63-1 is out of the schema's range; 2^31-1 fits it and builds as many as the quota allows.
                #expect(reply.status == (count == "2147483647" ? 202 : 400), "max_count \(count): \(reply.text)")
            }
            let list = try await client.request(.get, "/compute/v2.1/servers", token: member)
            #expect(list.json?["servers"]?.arrayValue?.count == 10)
            let over =
                #"{"server": {"name": "more", "flavorRef": "1", "imageRef": "\#(image)", "min_count": 2147483647}}"#
            let refused = try await client.request(
                .post, "/compute/v2.1/servers", token: member, rawBody: Array(over.utf8),
                headers: [.contentType: "application/json"])
            #expect(refused.status == 403)
        }
    }

    @Test func bodiesOverOneMiBAre413InEachServicesFormat() async throws {
        try await withCloud { client, _ in
            let admin = try await client.adminToken()
            let big =
                Array(#"{"name": ""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 2 << 20) + Array(#""}"#.utf8)
            let json: HTTPFields = [.contentType: "application/json"]
            let compute = try await client.request(
                .post, "/compute/v2.1/os-keypairs", token: admin, rawBody: big, headers: json)
            #expect(compute.status == 413)
            #expect(compute.json?["overLimit"]?["code"]?.intValue == 413)
            let identity = try await client.request(.post, "/identity/v3/auth/tokens", rawBody: big, headers: json)
            #expect(identity.status == 413)
            #expect(identity.json?["error"]?["code"]?.intValue == 413)
            let placement = try await client.request(
                .post, "/placement/resource_providers", token: admin, rawBody: big, headers: json)
            #expect(placement.status == 413)
            #expect(placement.json?["errors"]?.arrayValue?.first?["status"]?.intValue == 413)
            let image = try await client.request(.post, "/image/v2/images", token: admin, rawBody: big, headers: json)
            #expect(image.status == 413)
        }
    }

    @Test func controlCharactersAndOutOfRangeFieldsAreRefused() async throws {
        try await withCloud { client, cloud in
            let admin = try await client.adminToken()
            let member = try await client.demoToken(cloud)
            let flavor = try await client.request(
                .post, "/compute/v2.1/flavors", token: admin,
                body: ["flavor": ["name": "bad\u{0}name", "ram": 512, "vcpus": 1, "disk": 1]])
            #expect(flavor.status == 400)
            let provider = try await client.request(
                .post, "/placement/resource_providers", token: admin, body: ["name": "rp\u{0}"])
            #expect(provider.status == 400)
            let image = try await client.request(
                .post, "/image/v2/images", token: member, body: ["name": "i", "min_ram": .int(Int.max)])
            #expect(image.status == 400)
            let flavors = try await client.request(.get, "/compute/v2.1/flavors", token: admin)
            #expect(
                flavors.json?["flavors"]?.arrayValue?.contains { $0["name"]?.stringValue?.contains("bad") == true }
                    == false)
            let groups = try await client.request(.get, "/compute/v2.1/os-server-groups?offset=-1", token: member)
            #expect(groups.status == 400)
        }
    }

    @Test func anotherProjectsServerIsNotFoundForEveryVerb() async throws {
        try await withCloud { client, cloud in
            let admin = try await client.adminToken()
            let member = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: admin)
            let server = try await client.createServer("admins", token: admin, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: admin)
            let path = "/compute/v2.1/servers/\(server)"
            #expect(try await client.request(.get, path, token: member).status == 404)
            #expect(try await client.request(.put, path, token: member, body: ["server": ["name": "x"]]).status == 404)
            #expect(try await client.request(.delete, path, token: member).status == 404)
            #expect(
                try await client.request(.post, path + "/action", token: member, body: ["os-stop": .null]).status
                    == 404)
            try await client.waitFor(server, status: "ACTIVE", token: admin)
        }
    }

    @Test func aConsoleTokenEndsWithItsServer() async throws {
        try await withCloud { client, cloud in
            let admin = try await client.adminToken()
            let image = try await client.defaultImage(token: admin)
            let server = try await client.createServer("console", token: admin, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: admin)
            let console = try await client.request(
                .post, "/compute/v2.1/servers/\(server)/remote-consoles", token: admin, version: "2.6",
                body: ["remote_console": ["protocol": "vnc", "type": "novnc"]])
            let url = try #require(console.json?["remote_console"]?["url"]?.stringValue)
            let token = try #require(url.components(separatedBy: "token%3D").last)
            let before = try await client.request(
                .get, "/compute/v2.1/os-console-auth-tokens/\(token)", token: admin, version: "2.31")
            #expect(before.status == 200)
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(server)", token: admin).status == 204)
            for _ in 0..<100 {
                let show = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: admin)
                if show.status == 404 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let after = try await client.request(
                .get, "/compute/v2.1/os-console-auth-tokens/\(token)", token: admin, version: "2.31")
            #expect(after.status == 404)
        }
    }

    @Test func secretsAreWrittenReadableByTheirOwnerAlone() async throws {
        try await withCloud { _, cloud in
            let files = try Openrc.write(cloud: cloud)
            var paths = files
            if cloud.database.dialect == .sqlite { paths.append(cloud.options.dataDirectory + "/nova.sqlite") }
            for path in paths {
                let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(path) has mode \(String(mode ?? 0, radix: 8))")
            }
            let images = try FileManager.default.attributesOfItem(atPath: cloud.options.dataDirectory + "/images")
            #expect(images[.posixPermissions] as? Int == 0o700)
        }
    }
}
