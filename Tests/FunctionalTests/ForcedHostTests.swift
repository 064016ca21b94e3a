import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Nova's forced hosts: `az:host` at create and a move's `force` take the host without the scheduler's
/// filters (Placement still has to fit the server); 2.74's `host` and an unforced move's host go through them.
@Suite struct ForcedHostTests {
    static let compute = "/compute/v2.1"

    @Test func aForcedHostSkipsTheFiltersARequestedOneDoesNot() async throws {
        try await withCloud(fakeHosts: 2) { client, _ in
            let admin = try await client.adminToken()
            let image = try await client.defaultImage(token: admin)
            let disabled = try await client.firstComputeService(hosts: 2, token: admin)
            let host = try #require(disabled["host"]?.stringValue)
            let off = try await client.request(
                .put, Self.compute + "/os-services/\(disabled["id"]!.stringValue!)", token: admin, version: "2.53",
                body: ["status": "disabled", "disabled_reason": "maintenance"])
            #expect(off.status == 200)
            func hostOf(_ id: String) async throws -> String? {
                let shown = try await client.request(.get, Self.compute + "/servers/\(id)", token: admin)
                return shown.json?["server"]?["OS-EXT-SRV-ATTR:host"]?.stringValue
            }
            // Create: a host forced through the zone skips the host filters (here the different_host hint), not
            // Placement's pre-filters (the disabled host); 2.74's requested host goes through both.
            let first = try await client.createServer("first", token: admin, image: image)
            try await client.waitFor(first, status: "ACTIVE", token: admin)
            let enabled = try #require(try await hostOf(first))
            func create(_ name: String, _ fields: JSONObject, version: String? = nil) async throws -> JSON {
                var server: JSONObject = [
                    "name": .string(name), "flavorRef": "1", "imageRef": .string(image), "networks": "none",
                ]
                for (key, value) in fields.entries { server[key] = value }
                let reply = try await client.request(
                    .post, Self.compute + "/servers", token: admin, version: version,
                    body: ["server": .object(server), "os:scheduler_hints": ["different_host": .string(first)]])
                let id = try #require(reply.json?["server"]?["id"]?.stringValue, "\(reply.text)")
                return try await client.waitFor(id, status: fields["host"] == nil ? "ACTIVE" : "ERROR", token: admin)
            }
            let forced = try await create("forced", ["availability_zone": .string("nova:\(enabled)")], version: "2.74")
            #expect(try await hostOf(forced["id"]!.stringValue!) == enabled)
            let requested = try await create("requested", ["host": .string(enabled)], version: "2.74")
            #expect(requested["fault"]?["message"]?.stringValue?.contains("DifferentHostFilter") == true)
            let onDisabled = try await client.createServer(
                "off", token: admin, image: image, extra: ["availability_zone": .string("nova:\(host)")])
            let noHost = try await client.waitFor(onDisabled, status: "ERROR", token: admin)
            #expect(noHost["fault"]?["message"]?.stringValue?.contains("COMPUTE_STATUS_DISABLED") == true)

            // A live migration to the disabled host: refused by the filters, taken when forced.
            let mover = try await client.createServer("mover", token: admin, image: image)
            try await client.waitFor(mover, status: "ACTIVE", token: admin)
            let source = try await hostOf(mover)
            #expect(source != host)
            func migrate(force: Bool) async throws -> Reply {
                try await client.request(
                    .post, Self.compute + "/servers/\(mover)/action", token: admin, version: "2.30",
                    body: ["os-migrateLive": ["host": .string(host), "block_migration": "auto", "force": .bool(force)]])
            }
            #expect(try await migrate(force: false).status == 202)
            try await client.waitFor(mover, status: "ACTIVE", token: admin)
            #expect(try await hostOf(mover) == source, "the filters keep it off the disabled host")
            #expect(try await migrate(force: true).status == 202)
            try await client.waitFor(mover, status: "ACTIVE", token: admin)
            #expect(try await hostOf(mover) == host, "a forced host is taken as it is")
        }
    }
}
