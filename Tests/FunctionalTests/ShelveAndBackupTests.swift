import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Shelve, shelve offload, unshelve and createBackup through the API with the fake driver.
@Suite struct ShelveAndBackupTests {
    @Test func shelveOffloadsAndUnshelveSchedulesAgain() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 2)
            try await action(client, id, ["unshelve": .null], token, expect: 409)
            try await action(client, id, ["shelveOffload": .null], token, expect: 409)
            try await action(client, id, ["shelve": .null], token, expect: 202)
            let offloaded = try await client.waitFor(id, status: "SHELVED_OFFLOADED", token: token)
            #expect(offloaded["OS-EXT-SRV-ATTR:host"] == .null)
            try await expectNoAllocations(cloud, of: id, "an offloaded server holds no resources")
            let shelvedImage = try #require(try await images(client, token, named: "mover-shelved").first)
            #expect(shelvedImage["status"] == "active")
            #expect(await !cloud.drivers[host]!.listInstanceUUIDs().contains(id), "the guest is gone")

            // Before 2.77 the body is null; an availability zone needs an offloaded server.
            try await action(client, id, ["unshelve": ["availability_zone": "nova"]], token, expect: 400)
            try await action(
                client, id, ["unshelve": ["availability_zone": "no-such-zone"]], token, version: "2.77", expect: 400)
            let other = cloud.options.computeHostNames.first { $0 != host }!
            try await action(client, id, ["unshelve": ["host": .string(other)]], token, version: "2.91", expect: 202)
            let back = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(back["OS-EXT-SRV-ATTR:host"]?.stringValue == other)
            #expect(back["image"]?["id"]?.stringValue != shelvedImage["id"]?.stringValue)
            try await expectNoImage(named: "mover-shelved", client, token)
            let events = try await client.request(
                .get, "/compute/v2.1/servers/\(id)/os-instance-actions", token: token)
            let actions = events.json?["instanceActions"]?.arrayValue?.compactMap { $0["action"]?.stringValue }
            #expect(actions?.contains("shelve") == true && actions?.contains("unshelve") == true)
            try await audit(cloud)
        }
    }

    @Test func shelvedServerStaysOnItsHostUntilOffloaded() async throws {
        try await withCloud(fakeHosts: 1, configure: { $0.shelvedOffloadTime = -1 }) { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await action(client, id, ["shelve": .null], token, expect: 202)
            let shelved = try await client.waitFor(id, status: "SHELVED", token: token)
            #expect(shelved["OS-EXT-SRV-ATTR:host"]?.stringValue == host)
            #expect(shelved["OS-EXT-STS:power_state"]?.intValue == 4)
            #expect(cloud.placement.snapshot.consumers[id] != nil)
            try await action(
                client, id, ["unshelve": ["availability_zone": "nova"]], token, version: "2.77", expect: 409)
            try await action(client, id, ["unshelve": .null], token, expect: 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            try await expectNoImage(named: "mover-shelved", client, token)

            try await action(client, id, ["shelve": .null], token, expect: 202)
            try await client.waitFor(id, status: "SHELVED", token: token)
            try await action(client, id, ["shelveOffload": .null], token, expect: 202)
            try await client.waitFor(id, status: "SHELVED_OFFLOADED", token: token)
            try await expectNoAllocations(cloud, of: id)
            try await audit(cloud)
        }
    }

    @Test func failedUnshelveLeavesTheServerOffloaded() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await action(client, id, ["shelve": .null], token, expect: 202)
            try await client.waitFor(id, status: "SHELVED_OFFLOADED", token: token)
            await cloud.drivers[host]!.failNext("spawn")
            try await action(client, id, ["unshelve": .null], token, expect: 202)
            var settled: JSON = .null
            for _ in 0..<200 {
                settled =
                    try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token).json?["server"]
                    ?? .null
                if settled["OS-EXT-STS:task_state"] == .null, settled["status"] == "SHELVED_OFFLOADED" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(settled["status"] == "SHELVED_OFFLOADED" && settled["OS-EXT-SRV-ATTR:host"] == .null)
            try await expectNoAllocations(cloud, of: id, "the failed unshelve gave its claim back")
            try await action(client, id, ["unshelve": .null], token, expect: 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            try await audit(cloud)
        }
    }

    @Test func anUnshelveThatNeverFinishesIsPutBackAtItsDeadline() async throws {
        try await withCloud(
            fakeHosts: 1,
            // Steps that make no progress for 3 s are rolled back (on a loaded machine, shelving's own steps can
            // take more than one).
            configure: {
                $0.moves.stepTimeout = 3
                $0.reportInterval = .milliseconds(200)
            }
        ) { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await action(client, id, ["shelve": .null], token, expect: 202)
            try await client.waitFor(id, status: "SHELVED_OFFLOADED", token: token)
            await cloud.drivers[host]!.hang("spawn")
            try await action(client, id, ["unshelve": .null], token, expect: 202)
            var settled: JSON = .null
            for _ in 0..<300 {
                try await Task.sleep(for: .milliseconds(100))
                settled =
                    try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token).json?["server"]
                    ?? .null
                if settled["OS-EXT-STS:task_state"] == .null { break }
            }
            #expect(settled["status"] == "SHELVED_OFFLOADED" && settled["OS-EXT-SRV-ATTR:host"] == .null)
            try await expectNoAllocations(cloud, of: id)
            // The host wakes up late: its spawn must not bring the server back behind the rollback.
            // (Its revert takes a conductor round trip or two: on a loaded machine, more than a moment.)
            await cloud.drivers[host]!.release("spawn")
            var gone = false
            for _ in 0..<100 where !gone {
                try await Task.sleep(for: .milliseconds(100))
                gone = await !cloud.drivers[host]!.listInstanceUUIDs().contains(id)
            }
            #expect(gone)
            try await action(client, id, ["unshelve": .null], token, expect: 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            try await audit(cloud)
        }
    }

    @Test func createBackupKeepsTheNewestOfItsType() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await action(client, id, ["createBackup": ["name": "b", "backup_type": "daily"]], token, expect: 400)
            try await action(
                client, id, ["createBackup": ["name": "b", "backup_type": "daily", "rotation": -1]], token,
                expect: 400)
            var made: [String] = []
            for index in 1...3 {
                let reply = try await client.request(
                    .post, "/compute/v2.1/servers/\(id)/action", token: token, version: "2.45",
                    body: ["createBackup": ["name": .string("daily-\(index)"), "backup_type": "daily", "rotation": 2]])
                #expect(reply.status == 202, "\(reply.text)")
                made.append(try #require(reply.json?["image_id"]?.stringValue))
                try await waitForIdle(client, id, token)
            }
            let weekly = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: token,
                body: ["createBackup": ["name": "weekly-1", "backup_type": "weekly", "rotation": "1"]])
            #expect(weekly.status == 202 && weekly.headers[.location]?.contains("/images/") == true)
            try await waitForIdle(client, id, token)
            let kept = Set(try await images(client, token, named: nil).compactMap { $0["id"]?.stringValue })
            #expect(!kept.contains(made[0]) && kept.contains(made[1]) && kept.contains(made[2]), "\(kept)")
            #expect(kept.count == 4, "two daily backups, one weekly, the default image: \(kept)")
            let events = try await client.request(
                .get, "/compute/v2.1/servers/\(id)/os-instance-actions", token: token)
            #expect(events.json?["instanceActions"]?.arrayValue?.first?["action"] == "createBackup")
        }
    }
}

func waitForIdle(_ client: CloudClient, _ id: String, _ token: String) async throws {
    for _ in 0..<200 {
        let server = try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token).json?["server"]
        if server?["OS-EXT-STS:task_state"] == .null { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("\(id) stayed in a task_state")
}

/// The host deletes a shelved server's snapshot just after it reports the server ACTIVE.
func expectNoImage(named name: String, _ client: CloudClient, _ token: String) async throws {
    var left = try await images(client, token, named: name)
    for _ in 0..<200 where !left.isEmpty {
        try await Task.sleep(for: .milliseconds(25))
        left = try await images(client, token, named: name)
    }
    #expect(left.isEmpty, "\(name) is still in the image service")
}

/// Images in the image service, by name when given.
func images(_ client: CloudClient, _ token: String, named name: String?) async throws -> [JSON] {
    let reply = try await client.request(.get, "/image/v2/images", token: token)
    let images = reply.json?["images"]?.arrayValue ?? []
    return name.map { name in images.filter { $0["name"]?.stringValue == name } } ?? images
}
