import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Microversions 2.97 to 2.104 (issue 21) and the instance usage audit log.
@Suite struct ComputeMicroversionTests {
    static let compute = "/compute/v2.1"

    @Test func serverViewsShowImagePropertiesHintsAndThePinnedZone() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let patched = try await client.request(
                .patch, "/image/v2/images/\(image)", token: admin,
                body: [
                    ["op": "add", "path": "/hw_qemu_guest_agent", "value": "yes"],
                    ["op": "add", "path": "/site_label", "value": "x"],
                ])
            #expect(patched.status == 200, "\(patched.text)")
            let created = try await client.request(
                .post, Self.compute + "/servers", token: demo,
                body: [
                    "server": [
                        "name": "pinned", "flavorRef": "1", "imageRef": .string(image), "availability_zone": "nova",
                    ],
                    "os:scheduler_hints": ["different_host": ["8c1f4ab8-5f5a-4f50-a2c9-6f3d1c1b2a3e"]],
                ])
            let id = try #require(created.json?["server"]?["id"]?.stringValue, "\(created.text)")
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            let loose = try await client.createServer("loose", token: demo, image: image)
            try await client.waitFor(loose, status: "ACTIVE", token: demo)

            let old = try await client.request(.get, Self.compute + "/servers/\(id)", token: demo, version: "2.97")
            #expect(old.json?["server"]?["image"]?["properties"] == nil)
            #expect(old.json?["server"]?["scheduler_hints"] == nil)
            let shown = try await client.request(.get, Self.compute + "/servers/\(id)", token: demo, version: "2.100")
            let server = try #require(shown.json?["server"])
            // Only Nova's standard image properties.
            #expect(server["image"]?["properties"] == ["hw_qemu_guest_agent": "yes"], "\(shown.text)")
            #expect(server["scheduler_hints"] == ["different_host": ["8c1f4ab8-5f5a-4f50-a2c9-6f3d1c1b2a3e"]])
            #expect(server["pinned_availability_zone"] == "nova")
            let listed = try await client.request(.get, Self.compute + "/servers/detail", token: demo, version: "2.100")
            let other = listed.json?["servers"]?.arrayValue?.first { $0["id"]?.stringValue == loose }
            #expect(other?["scheduler_hints"] == [:] && other?["pinned_availability_zone"] == .null, "\(listed.text)")
            #expect(other?["OS-EXT-AZ:availability_zone"] == "nova")

            // 2.104: unpin, pin again to where it is; pinning elsewhere or re-pinning a pinned one is 409.
            func update(_ server: String, _ zone: JSON, version: String = "2.104") async throws -> Reply {
                try await client.request(
                    .put, Self.compute + "/servers/\(server)", token: demo, version: version,
                    body: ["server": ["pinned_availability_zone": zone]])
            }
            #expect(try await update(id, "nova", version: "2.103").status == 400)
            #expect(try await update(id, "other").status == 409)
            let unpinned = try await update(id, .null)
            #expect(unpinned.status == 200 && unpinned.json?["server"]?["pinned_availability_zone"] == .null)
            #expect(try await update(id, "elsewhere").status == 409)
            let repinned = try await update(id, "nova")
            #expect(repinned.json?["server"]?["pinned_availability_zone"] == "nova", "\(repinned.text)")
            #expect(try await update(id, "nova").status == 200)

            // 2.98: rebuild answers with the new image's properties.
            let rebuilt = try await client.request(
                .post, Self.compute + "/servers/\(loose)/action", token: demo, version: "2.98",
                body: ["rebuild": ["imageRef": .string(image)]])
            #expect(rebuilt.json?["server"]?["image"]?["properties"]?["hw_qemu_guest_agent"] == "yes")
        }
    }

    @Test func aCreateWithoutAZoneIsHeldToTheDefaultScheduleZone() async throws {
        try await withCloud(fakeHosts: 1, configure: { $0.defaultScheduleZone = "nova" }) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let id = try await client.createServer(
                "zoned", token: demo, image: try await client.defaultImage(token: demo))
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            let shown = try await client.request(.get, Self.compute + "/servers/\(id)", token: demo, version: "2.96")
            #expect(shown.json?["server"]?["pinned_availability_zone"] == "nova", "\(shown.text)")
        }
    }

    @Test func flavorsAndQueriesOf2102() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let flavors = try await client.request(
                .get, Self.compute + "/flavors/detail", token: demo, version: "2.101")
            let first = try #require(flavors.json?["flavors"]?.arrayValue?.first)
            #expect(first["rxtx_factor"] != nil && first["OS-FLV-DISABLED:disabled"] != nil)
            let newer = try await client.request(.get, Self.compute + "/flavors/1", token: demo, version: "2.102")
            #expect(newer.json?["flavor"]?["rxtx_factor"] == nil, "\(newer.text)")
            #expect(newer.json?["flavor"]?["OS-FLV-DISABLED:disabled"] == nil)
            let name = try #require(first["name"]?.stringValue)
            let named = try await client.request(
                .get, Self.compute + "/flavors?name=^\(name)$", token: demo, version: "2.102")
            #expect(named.json?["flavors"]?.arrayValue?.map { $0["name"] } == [.string(name)], "\(named.text)")
            let sorted = try await client.request(
                .get, Self.compute + "/flavors/detail?sort_key=memory_mb&sort_dir=desc", token: demo)
            let rams = sorted.json?["flavors"]?.arrayValue?.compactMap { $0["ram"]?.intValue } ?? []
            #expect(!rams.isEmpty && rams == rams.sorted(by: >), "\(sorted.text)")
            #expect(
                try await client.request(.get, Self.compute + "/flavors?sort_key=bogus", token: demo).status == 400)
            let withFactor = try await client.request(
                .post, Self.compute + "/flavors", token: admin, version: "2.102",
                body: ["flavor": ["name": "f", "ram": 64, "vcpus": 1, "disk": 0, "rxtx_factor": 2]])
            #expect(withFactor.status == 400, "\(withFactor.text)")

            // Unknown query parameters: ignored before 2.102 on a show route, 400 from it; servers from 2.75.
            #expect(
                try await client.request(.get, Self.compute + "/flavors/1?x=1", token: demo, version: "2.101").status
                    == 200)
            let closed = try await client.request(.get, Self.compute + "/flavors/1?x=1", token: demo, version: "2.102")
            #expect(closed.status == 400 && closed.json?["badRequest"] != nil, "\(closed.text)")
            #expect(
                try await client.request(.get, Self.compute + "/servers?bogus=1", token: demo, version: "2.74").status
                    == 200)
            #expect(
                try await client.request(.get, Self.compute + "/servers?bogus=1", token: demo, version: "2.75").status
                    == 400)
            #expect(
                try await client.request(
                    .get, Self.compute + "/os-keypairs?limit=1&user_id=x", token: admin, version: "2.104"
                ).status == 200)
            #expect(
                try await client.request(.get, Self.compute + "/os-volumes_boot", token: demo, version: "2.103").status
                    == 404)
            // A trailing slash is a different route, not found, as in Nova.
            #expect(try await client.request(.get, Self.compute + "/flavors/", token: demo).status == 404)
            #expect(
                try await client.request(.get, Self.compute + "/os-simple-tenant-usage/", token: admin).status == 404)
        }
    }

    @Test func sharesAnswerAsOnHostsWithoutVirtiofs() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let id = try await client.createServer("s", token: demo, image: try await client.defaultImage(token: demo))
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            let path = Self.compute + "/servers/\(id)/shares"
            #expect(try await client.request(.get, path, token: demo, version: "2.96").status == 404)
            let list = try await client.request(.get, path, token: demo, version: "2.97")
            #expect(list.json == ["shares": []], "\(list.text)")
            let share = "8c1f4ab8-5f5a-4f50-a2c9-6f3d1c1b2a3e"
            #expect(try await client.request(.get, path + "/\(share)", token: demo, version: "2.97").status == 404)
            let body: JSON = ["share": ["share_id": .string(share)]]
            let running = try await client.request(.post, path, token: demo, version: "2.97", body: body)
            #expect(running.status == 409, "\(running.text)")
            let bad = try await client.request(
                .post, path, token: demo, version: "2.97", body: ["share": ["share_id": "x"]])
            #expect(bad.status == 400)
            try await action(client, id, ["os-stop": .null], demo, expect: 202)
            try await client.waitFor(id, status: "SHUTOFF", token: demo)
            let stopped = try await client.request(.post, path, token: demo, version: "2.97", body: body)
            #expect(stopped.status == 409 && stopped.text.contains("not configured correctly"), "\(stopped.text)")
        }
    }

    @Test func usageAuditLogShowsEachHostsAuditOfThePeriod() async throws {
        try await withCloud(fakeHosts: 2, configure: { $0.instanceUsageAudit = true }) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let path = Self.compute + "/os-instance_usage_audit_log"
            #expect(try await client.request(.get, path, token: demo).status == 403)
            let before = try await client.request(.get, path, token: admin)
            let empty = try #require(before.json?["instance_usage_audit_logs"], "\(before.text)")
            #expect(empty["num_hosts"] == 2 && empty["num_hosts_not_run"] == 2 && empty["log"] == [:])
            #expect(empty["overall_status"] == "0 of 2 hosts done. 0 errors.")

            for manager in cloud.computeManagers { try await manager.auditInstanceUsage() }
            // A second run in the same period does nothing.
            for manager in cloud.computeManagers { try await manager.auditInstanceUsage() }
            let after = try await client.request(.get, path, token: admin)
            let logs = try #require(after.json?["instance_usage_audit_logs"])
            #expect(
                logs["num_hosts_done"] == 2 && logs["overall_status"] == "ALL hosts done. 0 errors.", "\(after.text)")
            let entries = logs["log"]?.objectValue?.entries.map(\.1) ?? []
            #expect(entries.count == 2 && entries.allSatisfy { $0["state"] == "DONE" })
            let period = try #require(logs["period_ending"]?.stringValue)
            #expect(period.count == 19 && period.hasSuffix(" 00:00:00"), "\(period)")

            // An earlier period: no host audited it.
            let old = try await client.request(.get, path + "/2020-01-15%2010:00:00", token: admin)
            #expect(old.json?["instance_usage_audit_log"]?["period_beginning"] == "2019-12-01 00:00:00", "\(old.text)")
            #expect(old.json?["instance_usage_audit_log"]?["num_hosts_done"] == 0)
            #expect(try await client.request(.get, path + "/invalid_time", token: admin).status == 400)
        }
    }

    @Test func serverListFiltersAndSortsAsNovaSplitsThem() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            var ids: [String] = []
            for name in ["bravo", "alpha", "charlie"] {
                let id = try await client.createServer(name, token: demo, image: image)
                try await client.waitFor(id, status: "ACTIVE", token: demo)
                ids.append(id)
            }
            try await action(client, ids[2], ["os-stop": .null], demo, expect: 202)
            try await client.waitFor(ids[2], status: "SHUTOFF", token: demo)
            func names(_ query: String, _ token: String, version: String = "2.90") async throws -> [String] {
                let reply = try await client.request(
                    .get, Self.compute + "/servers/detail?" + query, token: token, version: version)
                return reply.json?["servers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [
                    "status \(reply.status)"
                ]
            }
            #expect(try await names("sort_key=display_name&sort_dir=asc", demo) == ["alpha", "bravo", "charlie"])
            #expect(try await names("sort_key=display_name&sort_dir=desc", demo) == ["charlie", "bravo", "alpha"])
            #expect(try await names("vm_state=stopped", demo) == ["charlie"])
            #expect(try await names("power_state=4", demo) == ["charlie"])
            #expect(try await names("hostname=^alp", demo) == ["alpha"])
            // Before 2.83 a member's vm_state filter is dropped, as Nova's remove_invalid_options does.
            #expect(
                try await names("vm_state=stopped&sort_key=display_name&sort_dir=asc", demo, version: "2.82").count == 3
            )
            // node is an admin's filter; host an admin's sort key.
            #expect(try await names("node=nothing-like-it", demo).count == 3)
            #expect(try await names("node=nothing-like-it&all_tenants=1", admin).isEmpty)
            let bySort = try await client.request(.get, Self.compute + "/servers?sort_key=host", token: demo)
            #expect(bySort.status == 403, "\(bySort.text)")
            #expect(try await names("sort_key=vcpus", demo).count == 3, "ignored keys are dropped")
            let bad = try await client.request(.get, Self.compute + "/servers?sort_key=bogus", token: demo)
            #expect(bad.status == 400)
            let userID = try #require(
                try await client.request(.get, Self.compute + "/servers/\(ids[0])", token: demo).json?["server"]?[
                    "user_id"]?.stringValue)
            #expect(try await names("user_id=\(userID)&all_tenants=1", admin).count == 3)
            #expect(try await names("user_id=someone-else&all_tenants=1", admin).isEmpty)
        }
    }

    @Test func triggerCrashDumpSendsTheGuestAnNMI() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let id = try await client.createServer(
                "dump", token: demo, image: try await client.defaultImage(token: demo))
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            let body: JSON = ["trigger_crash_dump": .null]
            let old = try await client.request(
                .post, Self.compute + "/servers/\(id)/action", token: demo, version: "2.16", body: body)
            #expect(old.status == 404)
            let bad = try await client.request(
                .post, Self.compute + "/servers/\(id)/action", token: demo, version: "2.17",
                body: ["trigger_crash_dump": ["x": 1]])
            #expect(bad.status == 400)
            try await action(client, id, body, demo, version: "2.17", expect: 202)
            let driver = try #require(cloud.drivers.values.first)
            var sent = 0
            for _ in 0..<100 where sent == 0 {
                sent = await driver.interrupts[id] ?? 0
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(sent == 1)
            let actions = try await client.request(
                .get, Self.compute + "/servers/\(id)/os-instance-actions", token: demo)
            #expect(actions.text.contains("trigger_crash_dump"))
            try await action(client, id, ["os-stop": .null], demo, expect: 202)
            try await client.waitFor(id, status: "SHUTOFF", token: demo)
            try await action(client, id, body, demo, version: "2.17", expect: 409)
        }
    }

    @Test func serialAndSPICEConsolesWhenEnabled() async throws {
        for enabled in [false, true] {
            try await withCloud(
                fakeHosts: 1,
                configure: {
                    $0.console.serialEnabled = enabled
                    $0.console.spiceEnabled = enabled
                    $0.console.spicePort = freeLoopbackPort()
                }
            ) { client, cloud in
                let demo = try await client.demoToken(cloud)
                let id = try await client.createServer(
                    "serial", token: demo, image: try await client.defaultImage(token: demo))
                try await client.waitFor(id, status: "ACTIVE", token: demo)
                let remote = try await client.request(
                    .post, Self.compute + "/servers/\(id)/remote-consoles", token: demo, version: "2.6",
                    body: ["remote_console": ["protocol": "serial", "type": "serial"]])
                let legacy = try await client.request(
                    .post, Self.compute + "/servers/\(id)/action", token: demo,
                    body: ["os-getSerialConsole": ["type": "serial"]])
                if enabled {
                    #expect(remote.json?["remote_console"]?["url"]?.stringValue?.hasPrefix("ws://") == true)
                    #expect(legacy.json?["console"]?["type"] == "serial", "\(legacy.text)")
                } else {
                    #expect(remote.status == 400 && remote.text.contains("Unavailable console type"), "\(remote.text)")
                    #expect(legacy.status == 400)
                }
                let spice = try await client.request(
                    .post, Self.compute + "/servers/\(id)/action", token: demo,
                    body: ["os-getSPICEConsole": ["type": "spice-html5"]])
                let spiceRemote = try await client.request(
                    .post, Self.compute + "/servers/\(id)/remote-consoles", token: demo, version: "2.6",
                    body: ["remote_console": ["protocol": "spice", "type": "spice-html5"]])
                if enabled {
                    let url = spiceRemote.json?["remote_console"]?["url"]?.stringValue ?? ""
                    #expect(url.contains("/spice_auto.html?token="), "\(spiceRemote.text)")
                    #expect(spice.json?["console"]?["type"] == "spice-html5", "\(spice.text)")
                    // The token names the guest's SPICE server (the fake driver's port, as Nova's fake).
                    let token = String(url.split(separator: "=").last ?? "")
                    let admin = try await client.adminToken()
                    let shown = try await client.request(
                        .get, Self.compute + "/os-console-auth-tokens/\(token)", token: admin, version: "2.31")
                    #expect(shown.json?["console"]?["port"] == 6969, "\(shown.text)")
                    #expect(shown.json?["console"]?["tls_port"] == nil)
                    // 2.99: spice-direct, for a SPICE client's own proxy, with the TLS port (none here).
                    let direct = try await client.request(
                        .post, Self.compute + "/servers/\(id)/remote-consoles", token: demo, version: "2.99",
                        body: ["remote_console": ["protocol": "spice", "type": "spice-direct"]])
                    let directURL = direct.json?["remote_console"]?["url"]?.stringValue ?? ""
                    #expect(directURL.hasPrefix("http://127.0.0.1:13002/nova?token="), "\(direct.text)")
                    let details = try await client.request(
                        .get,
                        Self.compute + "/os-console-auth-tokens/\(directURL.split(separator: "=").last ?? "")",
                        token: admin, version: "2.99")
                    #expect(details.json?["console"]?["tls_port"] == .null, "\(details.text)")
                    #expect(details.json?["console"]?["port"] == 6969)
                } else {
                    #expect(spice.status == 400 && spice.text.contains("Unavailable console type"), "\(spice.text)")
                    #expect(spiceRemote.status == 400)
                }
            }
        }
    }

    @Test func changePasswordReachesTheDriverOrSaysWhyNot() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let id = try await client.createServer("pw", token: demo, image: try await client.defaultImage(token: demo))
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            try await action(client, id, ["changePassword": ["adminPass": "new-pass"]], demo, expect: 202)
            let driver = try #require(cloud.drivers.values.first)
            #expect(await driver.adminPasswords[id] == "new-pass")
            try await action(client, id, ["changePassword": ["password": "x"]], demo, expect: 400)
            await driver.failNext("set_admin_password")
            try await action(client, id, ["changePassword": ["adminPass": "again"]], demo, expect: 409)
            let shown = try await client.request(.get, Self.compute + "/servers/\(id)", token: demo)
            #expect(shown.json?["server"]?["OS-EXT-STS:task_state"] == .null, "the task ends with the failure")
            try await action(client, id, ["os-stop": .null], demo, expect: 202)
            try await client.waitFor(id, status: "SHUTOFF", token: demo)
            try await action(client, id, ["changePassword": ["adminPass": "x"]], demo, expect: 409)
        }
    }

    @Test func aggregateImagesTopologyAndBaremetal() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let made = try await client.request(
                .post, Self.compute + "/os-aggregates", token: admin, body: ["aggregate": ["name": "cachers"]])
            let aggregate = try #require(made.json?["aggregate"]?["id"]?.intValue, "\(made.text)")
            let host = try #require(cloud.options.computeHostNames.first)
            let added = try await client.request(
                .post, Self.compute + "/os-aggregates/\(aggregate)/action", token: admin,
                body: ["add_host": ["host": .string(host)]])
            #expect(added.status == 200, "\(added.text)")
            let path = Self.compute + "/os-aggregates/\(aggregate)/images"
            let body: JSON = ["cache": [["id": .string(image)]]]
            #expect(try await client.request(.post, path, token: admin, version: "2.80", body: body).status == 404)
            #expect(try await client.request(.post, path, token: demo, version: "2.81", body: body).status == 403)
            let twice: JSON = ["cache": [["id": .string(image)], ["id": .string(image)]]]
            #expect(try await client.request(.post, path, token: admin, version: "2.81", body: twice).status == 400)
            let unknown: JSON = ["cache": [["id": "8c1f4ab8-5f5a-4f50-a2c9-6f3d1c1b2a3e"]]]
            #expect(try await client.request(.post, path, token: admin, version: "2.81", body: unknown).status == 400)
            let cached = try await client.request(.post, path, token: admin, version: "2.81", body: body)
            #expect(cached.status == 202, "\(cached.text)")
            let inAggregate = try #require(cloud.drivers[host])
            let outside = try #require(cloud.drivers.first { $0.key != host }?.value)
            var seen: Set<String> = []
            for _ in 0..<100 where seen.isEmpty {
                seen = await inAggregate.cachedImages
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(seen == [image])
            #expect(await outside.cachedImages.isEmpty)

            let id = try await client.createServer("topo", token: demo, image: image)
            let topology = try await client.request(
                .get, Self.compute + "/servers/\(id)/topology", token: demo, version: "2.78")
            #expect(topology.json == ["nodes": [], "pagesize_kb": .null], "\(topology.text)")
            #expect(
                try await client.request(.get, Self.compute + "/servers/\(id)/topology", token: demo, version: "2.77")
                    .status == 404)
            let nodes = try await client.request(.get, Self.compute + "/os-baremetal-nodes", token: admin)
            #expect(nodes.status == 501 && nodes.text.contains("Ironic"), "\(nodes.text)")
        }
    }

    @Test func moveBodiesFollowTheirMicroversions() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let admin = try await client.adminToken()
            let id = try await client.createServer(
                "mv", token: admin, image: try await client.defaultImage(token: admin))
            try await client.waitFor(id, status: "ACTIVE", token: admin)
            let other = "nowhere"
            // disk_over_commit is required before 2.25 and gone after; force lives from 2.30 to 2.67.
            try await action(
                client, id, ["os-migrateLive": ["host": .null, "block_migration": false]], admin, version: "2.24",
                expect: 400)
            try await action(
                client, id,
                ["os-migrateLive": ["host": .null, "block_migration": false, "disk_over_commit": "sometimes"]],
                admin, version: "2.24", expect: 400)
            try await action(
                client, id,
                ["os-migrateLive": ["host": .null, "block_migration": "auto", "disk_over_commit": false]], admin,
                version: "2.25", expect: 400)
            try await action(
                client, id, ["os-migrateLive": ["host": .null, "block_migration": "auto", "force": true]], admin,
                version: "2.30", expect: 400)
            try await action(
                client, id, ["os-migrateLive": ["host": .string(other), "block_migration": "auto", "force": true]],
                admin, version: "2.68", expect: 400)
            try await action(client, id, ["evacuate": ["force": true]], admin, version: "2.29", expect: 400)
            try await action(client, id, ["evacuate": ["onSharedStorage": false]], admin, version: "2.14", expect: 400)
            let server = try await client.request(.get, Self.compute + "/servers/\(id)", token: admin)
            #expect(server.json?["server"]?["status"] == "ACTIVE", "refused moves leave the server as it was")
        }
    }

    @Test func instanceActionsByTimeAndFailedEventDetails() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let id = try await client.createServer(
                "acts", token: demo, image: try await client.defaultImage(token: demo))
            try await client.waitFor(id, status: "ACTIVE", token: demo)
            let driver = try #require(cloud.drivers.values.first)
            await driver.failNext("set_admin_password")
            try await action(client, id, ["changePassword": ["adminPass": "x"]], demo, expect: 409)
            let path = Self.compute + "/servers/\(id)/os-instance-actions"
            let listed = try await client.request(.get, path, token: demo, version: "2.84")
            let failed = try #require(
                listed.json?["instanceActions"]?.arrayValue?.first { $0["action"] == "changePassword" })
            let request = try #require(failed["request_id"]?.stringValue)
            let admin = try await client.adminToken()
            let shown = try await client.request(.get, path + "/\(request)", token: admin, version: "2.84")
            let event = shown.json?["instanceAction"]?["events"]?.arrayValue?.first
            #expect(
                event?["result"] == "Error" && event?["details"]?.stringValue?.contains("told to fail") == true,
                "\(shown.text)")
            // Nova's events:details policy is admin only; a member sees the event without details or traceback.
            let member = try await client.request(.get, path + "/\(request)", token: demo, version: "2.84")
            let own = member.json?["instanceAction"]?["events"]?.arrayValue?.first
            #expect(own?["result"] == "Error" && own?["details"] == nil && own?["traceback"] == nil, "\(member.text)")
            let early = "2000-01-01T00:00:00Z"
            let none = try await client.request(.get, path + "?changes-before=\(early)", token: demo, version: "2.66")
            #expect(none.json?["instanceActions"]?.arrayValue?.isEmpty == true, "\(none.text)")
            let all = try await client.request(
                .get, path + "?changes-before=2100-01-01T00:00:00Z", token: demo, version: "2.66")
            #expect((all.json?["instanceActions"]?.arrayValue?.count ?? 0) >= 2)
            let backwards = try await client.request(
                .get, path + "?changes-since=2100-01-01T00:00:00Z&changes-before=\(early)", token: demo, version: "2.66"
            )
            #expect(backwards.status == 400)
        }
    }

    @Test func aMovedServerIsInItsNewHostsZone() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let admin = try await client.adminToken()
            try await client.waitForHosts(2, token: admin)
            let id = try await client.createServer(
                "roam", token: admin, image: try await client.defaultImage(token: admin))
            let before = try await client.waitFor(id, status: "ACTIVE", token: admin)
            #expect(before["OS-EXT-AZ:availability_zone"] == "nova")
            let source = try #require(before["OS-EXT-SRV-ATTR:host"]?.stringValue)
            let target = try #require(cloud.options.computeHostNames.first { $0 != source })
            let made = try await client.request(
                .post, Self.compute + "/os-aggregates", token: admin,
                body: ["aggregate": ["name": "east", "availability_zone": "east"]])
            let aggregate = try #require(made.json?["aggregate"]?["id"]?.intValue)
            _ = try await client.request(
                .post, Self.compute + "/os-aggregates/\(aggregate)/action", token: admin,
                body: ["add_host": ["host": .string(target)]])
            try await action(client, id, ["migrate": ["host": .string(target)]], admin, version: "2.56", expect: 202)
            try await client.waitFor(id, status: "VERIFY_RESIZE", token: admin)
            try await action(client, id, ["confirmResize": .null], admin, expect: 204)
            let after = try await client.waitFor(id, status: "ACTIVE", token: admin)
            #expect(after["OS-EXT-SRV-ATTR:host"]?.stringValue == target)
            #expect(after["OS-EXT-AZ:availability_zone"] == "east", "\(after)")
        }
    }

    @Test func personalityIsKeptUntil257() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let files: JSON = [["path": "/etc/motd", "contents": "aGVsbG8K"]]
            let id = try await client.createServer(
                "files", token: demo, image: image, extra: ["personality": files, "networks": "auto"], version: "2.56")
            let stored = try await cloud.computeStore.instance(uuid: id)
            #expect(stored?.personality == [InjectedFile(path: "/etc/motd", contents: "aGVsbG8K")])
            let late = try await client.request(
                .post, Self.compute + "/servers", token: demo, version: "2.57",
                body: [
                    "server": [
                        "name": "x", "flavorRef": "1", "imageRef": .string(image), "networks": "auto",
                        "personality": files,
                    ]
                ])
            #expect(late.status == 400, "\(late.text)")
            let many = JSON.array(Array(repeating: ["path": "/a", "contents": "aGk="], count: 6))
            let tooMany = try await client.request(
                .post, Self.compute + "/servers", token: demo, version: "2.56",
                body: [
                    "server": [
                        "name": "x", "flavorRef": "1", "imageRef": .string(image), "networks": "auto",
                        "personality": many,
                    ]
                ])
            #expect(
                tooMany.status == 403 && tooMany.text.contains("Personality file limit exceeded"), "\(tooMany.text)")
        }
    }
}
