import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// The rebuild body as Nova's schema per microversion: its fields only, each checked, the access addresses
/// kept.
@Suite struct RebuildBodyTests {
    static let compute = "/compute/v2.1"

    @Test func rebuildTakesItsSchemasFieldsOnly() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let id = try await client.createServer("r", token: demo, image: image)
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            func rebuild(_ fields: JSONObject, version: String = "2.1") async throws -> Reply {
                var body: JSONObject = ["imageRef": .string(image)]
                for (key, value) in fields.entries { body[key] = value }
                return try await client.request(
                    .post, Self.compute + "/servers/\(id)/action", token: demo, version: version,
                    body: ["rebuild": .object(body)])
            }
            #expect(try await rebuild(["bogus": 1]).status == 400)
            #expect(try await rebuild(["description": "d"], version: "2.18").status == 400)
            #expect(try await rebuild(["key_name": .null], version: "2.53").status == 400)
            #expect(try await rebuild(["hostname": "h"], version: "2.89").status == 400)
            #expect(try await rebuild(["preserve_ephemeral": "maybe"]).status == 400)
            #expect(try await rebuild(["accessIPv4": "300.1.1.1"]).status == 400)
            let shownBefore = try await client.request(.get, Self.compute + "/servers/\(id)", token: demo)
            #expect(shownBefore.json?["server"]?["OS-EXT-STS:task_state"] == .null, "refusals start nothing")
            let done = try await rebuild(
                ["preserve_ephemeral": true, "accessIPv4": "192.0.2.7", "accessIPv6": "2001:DB8::0:1"])
            #expect(done.status == 202, "\(done.text)")
            #expect(done.json?["server"]?["accessIPv4"] == "192.0.2.7")
            #expect(done.json?["server"]?["accessIPv6"] == "2001:db8::1")
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            // The driver is asked to keep the ephemeral disk for that rebuild only.
            #expect(try await rebuild([:]).status == 202)
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            var asked: [Bool] = []
            for driver in cloud.drivers.values { asked += await driver.rebuilds[id] ?? [] }
            #expect(asked == [true, false])
        }
    }
}
