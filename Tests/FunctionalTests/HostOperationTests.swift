import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Rebuild, rescue and deferred delete through the API with the fake driver.
@Suite struct HostOperationTests {
    @Test func rebuildKeepsTheServerAndChangesItsImage() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            let snapshot = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: token, version: "2.45",
                body: ["createImage": ["name": "other-image"]])
            let image = try #require(snapshot.json?["image_id"]?.stringValue)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            try await action(client, id, ["rebuild": ["name": "x"]], token, expect: 400)
            try await action(client, id, ["rebuild": ["imageRef": "no-such-image"]], token, expect: 400)
            let reply = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: token,
                body: ["rebuild": ["imageRef": .string(image), "name": "rebuilt", "metadata": ["k": "v"]]])
            #expect(reply.status == 202, "\(reply.text)")
            #expect(reply.json?["server"]?["status"] == "REBUILD")
            #expect(reply.json?["server"]?["adminPass"]?.stringValue != nil)
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["image"]?["id"]?.stringValue == image)
            #expect(server["name"] == "rebuilt" && server["metadata"]?["k"] == "v")
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue == host)
            // A stopped server is rebuilt stopped; a failed rebuild is ERROR with a fault.
            try await action(client, id, ["os-stop": .null], token, expect: 202)
            try await client.waitFor(id, status: "SHUTOFF", token: token)
            try await action(client, id, ["rebuild": ["imageRef": .string(image)]], token, expect: 202)
            try await client.waitFor(id, status: "SHUTOFF", token: token)
            await cloud.drivers[host]!.failNext("spawn")
            try await action(client, id, ["rebuild": ["imageRef": .string(image)]], token, expect: 202)
            let failed = try await client.waitFor(id, status: "ERROR", token: token)
            #expect(failed["fault"]?["message"]?.stringValue?.contains("spawn") == true)
            try await action(client, id, ["rebuild": ["imageRef": .string(image)]], token, expect: 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            try await audit(cloud)
        }
    }

    @Test func rescueAndUnrescue() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await action(client, id, ["unrescue": .null], token, expect: 409)
            let rescued = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: token, body: ["rescue": .null])
            #expect(rescued.status == 200 && rescued.json?["adminPass"]?.stringValue != nil, "\(rescued.text)")
            try await client.waitFor(id, status: "RESCUE", token: token)
            try await action(client, id, ["os-stop": .null], token, expect: 409)
            try await action(client, id, ["unrescue": .null], token, expect: 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
        }
    }

    @Test func softDeleteRestoreForceDeleteAndReclaim() async throws {
        try await withCloud(
            fakeHosts: 1,
            configure: {
                $0.reclaimInstanceInterval = 1
                $0.reportInterval = .milliseconds(200)
            }
        ) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await action(client, id, ["restore": .null], token, expect: 409)
            let deleted = try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token)
            #expect(deleted.status == 204)
            try await client.waitFor(id, status: "SOFT_DELETED", token: token)
            try await action(client, id, ["restore": .null], token, expect: 202)
            let restored = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(restored["OS-EXT-STS:power_state"]?.intValue == 1)
            // Soft-deleted again, then reclaimed by the conductor after the interval.
            _ = try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token)
            try await client.waitFor(id, status: "SOFT_DELETED", token: token)
            var gone = false
            for _ in 0..<100 where !gone {
                try await Task.sleep(for: .milliseconds(100))
                gone = try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token).status == 404
            }
            #expect(gone)
            // forceDelete skips the wait.
            let (other, _) = try await bootAndLocate(client, cloud, token, hosts: 1)
            _ = try await client.request(.delete, "/compute/v2.1/servers/\(other)", token: token)
            try await client.waitFor(other, status: "SOFT_DELETED", token: token)
            try await action(client, other, ["forceDelete": .null], token, expect: 202)
            var otherGone = false
            for _ in 0..<100 where !otherGone {
                try await Task.sleep(for: .milliseconds(50))
                otherGone =
                    try await client.request(.get, "/compute/v2.1/servers/\(other)", token: token).status == 404
            }
            #expect(otherGone)
            try await expectNoAllocations(cloud)
        }
    }
}
