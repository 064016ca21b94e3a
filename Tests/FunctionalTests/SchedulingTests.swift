import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

@Suite struct SchedulingTests {
    func createGroup(_ client: CloudClient, token: String, policy: String, rules: JSON? = nil) async throws -> String {
        var group: JSONObject = ["name": .string("g-\(policy)"), "policy": .string(policy)]
        if let rules { group["rules"] = rules }
        let reply = try await client.request(
            .post, "/compute/v2.1/os-server-groups", token: token, version: "2.64",
            body: ["server_group": .object(group)])
        #expect(reply.status == 200)
        return try #require(reply.json?["server_group"]?["id"]?.stringValue)
    }

    func boot(_ client: CloudClient, _ name: String, token: String, hints: JSON) async throws -> String {
        let image = try await client.defaultImage(token: token)
        let reply = try await client.request(
            .post, "/compute/v2.1/servers", token: token, version: "2.37",
            body: [
                "server": ["name": .string(name), "flavorRef": "1", "imageRef": .string(image), "networks": "none"],
                "os:scheduler_hints": hints,
            ])
        #expect(reply.status == 202, "\(reply.text)")
        return try #require(reply.json?["server"]?["id"]?.stringValue)
    }

    @Test func movesKeepTheGroupPolicy() async throws {
        try await withCloud(fakeHosts: 3) { client, cloud in
            let token = try await client.adminToken()
            try await client.waitForHosts(3, token: token)
            let group = try await createGroup(client, token: token, policy: "anti-affinity")
            var hosts: [String: String] = [:]
            for index in 0..<2 {
                let id = try await boot(client, "anti\(index)", token: token, hints: ["group": .string(group)])
                let server = try await client.waitFor(id, status: "ACTIVE", token: token)
                hosts[id] = server["OS-EXT-SRV-ATTR:host"]?.stringValue ?? ""
            }
            let ids = Array(hosts.keys)
            let free = try #require(cloud.options.computeHostNames.first { !hosts.values.contains($0) })
            // The only host the group allows for the first member is the free one, for a cold and a live move.
            try await action(client, ids[0], ["migrate": .null], token, expect: 202)
            let moved = try await client.waitFor(ids[0], status: "VERIFY_RESIZE", token: token)
            #expect(moved["OS-EXT-SRV-ATTR:host"]?.stringValue == free)
            try await action(client, ids[0], ["confirmResize": .null], token, expect: 204)
            try await client.waitFor(ids[0], status: "ACTIVE", token: token)
            // The second member may only go where the first was, not where it is now.
            try await action(
                client, ids[1], ["os-migrateLive": ["host": .null, "block_migration": "auto"]], token,
                version: "2.30", expect: 202)
            try await waitForMigration(client, ids[1], token, status: "completed")
            let live = try await client.waitFor(ids[1], status: "ACTIVE", token: token)
            #expect(live["OS-EXT-SRV-ATTR:host"]?.stringValue == hosts[ids[0]])
            // With every host taken by a member, a third member's move finds no host and changes nothing.
            let third = try await boot(client, "anti2", token: token, hints: ["group": .string(group)])
            let placed = try await client.waitFor(third, status: "ACTIVE", token: token)
            try await action(client, third, ["migrate": .null], token, expect: 202)
            try await waitForMigration(client, third, token, status: "error")
            let stayed = try await client.waitFor(third, status: "ACTIVE", token: token)
            #expect(stayed["OS-EXT-SRV-ATTR:host"] == placed["OS-EXT-SRV-ATTR:host"])
            try await audit(cloud)
        }
    }

    @Test func antiAffinitySpreadsThenExplainsNoValidHost() async throws {
        try await withCloud(fakeHosts: 2) { client, _ in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let group = try await createGroup(client, token: token, policy: "anti-affinity")
            var hosts: [String] = []
            for index in 0..<2 {
                let id = try await boot(client, "anti\(index)", token: token, hints: ["group": .string(group)])
                let server = try await client.waitFor(id, status: "ACTIVE", token: token)
                hosts.append(server["OS-EXT-SRV-ATTR:host"]?.stringValue ?? "")
            }
            #expect(Set(hosts).count == 2)
            let third = try await boot(client, "anti2", token: token, hints: ["group": .string(group)])
            let failed = try await client.waitFor(third, status: "ERROR", token: token)
            #expect(
                failed["fault"]?["message"]?.stringValue
                    == "No valid host was found. Out of 2 host(s): ServerGroupAntiAffinityFilter removed 2.")
            let shown = try await client.request(.get, "/compute/v2.1/os-server-groups/\(group)", token: token)
            #expect(shown.json?["server_group"]?["members"]?.arrayValue?.count == 3)
            #expect(shown.json?["server_group"]?["policies"] == ["anti-affinity"])
            let member = try await client.request(
                .get, "/compute/v2.1/servers/\(third)", token: token, version: "2.71")
            #expect(member.json?["server"]?["server_groups"] == [.string(group)])
        }
    }

    @Test func maxServerPerHostAndAffinity() async throws {
        try await withCloud(fakeHosts: 2) { client, _ in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let spread = try await createGroup(
                client, token: token, policy: "anti-affinity", rules: ["max_server_per_host": 2])
            let together = try await createGroup(client, token: token, policy: "affinity")
            var spreadHosts: [String: Int] = [:]
            var togetherHosts: Set<String> = []
            for index in 0..<4 {
                let a = try await boot(client, "s\(index)", token: token, hints: ["group": .string(spread)])
                let b = try await boot(client, "t\(index)", token: token, hints: ["group": .string(together)])
                let sa = try await client.waitFor(a, status: "ACTIVE", token: token)
                let sb = try await client.waitFor(b, status: "ACTIVE", token: token)
                spreadHosts[sa["OS-EXT-SRV-ATTR:host"]?.stringValue ?? "", default: 0] += 1
                togetherHosts.insert(sb["OS-EXT-SRV-ATTR:host"]?.stringValue ?? "")
            }
            #expect(spreadHosts.values.sorted() == [2, 2])
            #expect(togetherHosts.count == 1)
            let bad = try await client.request(
                .post, "/compute/v2.1/os-server-groups", token: token, version: "2.64",
                body: ["server_group": ["name": "x", "policy": "affinity", "rules": ["max_server_per_host": 2]]])
            #expect(bad.status == 400)
        }
    }

    @Test func differentHostHint() async throws {
        try await withCloud(fakeHosts: 2) { client, _ in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let first = try await boot(client, "first", token: token, hints: [:])
            let firstHost = try await client.waitFor(first, status: "ACTIVE", token: token)["OS-EXT-SRV-ATTR:host"]
            for index in 0..<3 {
                let id = try await boot(
                    client, "apart\(index)", token: token, hints: ["different_host": [.string(first)]])
                let server = try await client.waitFor(id, status: "ACTIVE", token: token)
                #expect(server["OS-EXT-SRV-ATTR:host"] != firstHost)
            }
            let bad = try await client.request(
                .post, "/compute/v2.1/servers", token: token,
                body: [
                    "server": ["name": "x", "flavorRef": "1", "imageRef": "x", "networks": "none"],
                    "os:scheduler_hints": ["group": "not-a-uuid"],
                ])
            #expect(bad.status == 400)
        }
    }

    @Test func aFailedSpawnIsRescheduledToAnAlternate() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            for driver in cloud.drivers.values { await driver.failNext("spawn") }
            let id = try await boot(client, "retry", token: token, hints: [:])
            let failed = try await client.waitFor(id, status: "ERROR", token: token)
            #expect(failed["fault"]?["message"]?.stringValue?.hasPrefix("Exceeded maximum number of retries.") == true)
            let usages = try await cloud.placement.providerUsages()
            #expect(usages.values.allSatisfy { $0.consumers == 0 })

            let host1 = try #require(cloud.drivers.keys.sorted().first)
            await cloud.drivers[host1]!.failNext("spawn")
            let second = try await boot(client, "retry2", token: token, hints: [:])
            let server = try await client.waitFor(second, status: "ACTIVE", token: token)
            let landed = try #require(server["OS-EXT-SRV-ATTR:host"]?.stringValue)
            let held = try await cloud.placement.providerUsages().values.filter { $0.consumers > 0 }
            #expect(held.count == 1)
            if landed != host1 {
                let events = try await client.request(
                    .get, "/compute/v2.1/servers/\(second)/os-instance-actions", token: token)
                #expect(events.status == 200)
            }
        }
    }

    @Test func anAdminCanAskWhyWithoutBooting() async throws {
        try await withCloud(fakeHosts: 2, hostResources: Resources(vcpus: 8, memoryMB: 8192, diskGB: 100)) {
            client, cloud in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let fits = try await client.request(
                .post, "/compute/v2.1/os-scheduler-explain", token: token, body: ["server": ["flavorRef": "1"]])
            #expect(fits.status == 200)
            #expect(fits.json?["explanation"]?["weighed"]?.arrayValue?.count == 2)
            #expect(fits.json?["explanation"]?["selected"]?.stringValue != nil)
            let tooBig = try await client.request(
                .post, "/compute/v2.1/os-scheduler-explain", token: token, body: ["server": ["flavorRef": "5"]])
            #expect(
                tooBig.json?["explanation"]?["message"]
                    == "No valid host was found. Out of 2 host(s): Placement: 2 lacked DISK_GB:160 and MEMORY_MB:16384."
            )
            #expect(tooBig.json?["explanation"]?["selected"] == .null)
            let servers = try await client.request(.get, "/compute/v2.1/servers", token: token)
            #expect(servers.json?["servers"] == [])
            let member = try await client.request(
                .post, "/compute/v2.1/os-scheduler-explain", token: try await client.demoToken(cloud),
                body: ["server": ["flavorRef": "1"]])
            #expect(member.status == 403)
        }
    }
}
