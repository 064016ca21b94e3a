import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Two QEMU compute hosts on this machine: a real guest moves between them.
extension QEMUCloudTests {
    /// The highest "nova-guest tick N" the guest printed on its serial console (the console of its current host).
    func lastTick(_ client: CloudClient, _ id: String, _ token: String) async throws -> Int {
        let output = try await consoleOutput(client, id, token)
        return output.split(whereSeparator: \.isNewline).compactMap { line -> Int? in
            guard let range = line.range(of: "nova-guest tick ") else { return nil }
            return Int(line[range.upperBound...].trimmingCharacters(in: .whitespaces))
        }.max() ?? -1
    }

    func host(_ client: CloudClient, _ id: String, _ token: String) async throws -> String? {
        let server = try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token)
        return server.json?["server"]?["OS-EXT-SRV-ATTR:host"]?.stringValue
    }

    @Test func aRealGuestLiveMigratesAndColdMigratesBetweenTwoHosts() async throws {
        try await withQEMUCloud(hosts: 2) { client, cloud in
            let (token, id) = try await bootGuest(client, "traveller", hosts: 2)
            var tick = -1
            for _ in 0..<100 where tick < 1 {
                try await Task.sleep(for: .milliseconds(300))
                tick = try await lastTick(client, id, token)
            }
            let source = try #require(try await host(client, id, token))
            let destination = try #require(cloud.options.computeHostNames.first { $0 != source })

            // Live: the same guest carries on at the destination; its counter continues without a new boot.
            let live = try await action(
                client, id, ["os-migrateLive": ["host": .string(destination), "block_migration": "auto"]], token,
                version: "2.30")
            #expect(live.status == 202, "\(live.text)")
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 300)
            #expect(try await host(client, id, token) == destination)
            let migration = try await client.request(
                .get, "/compute/v2.1/os-migrations?instance_uuid=\(id)", token: token, version: "2.80")
            #expect(migration.json?["migrations"]?.arrayValue?.first?["status"] == "completed", "\(migration.text)")
            var after = -1
            for _ in 0..<100 where after <= tick {
                try await Task.sleep(for: .milliseconds(300))
                after = try await lastTick(client, id, token)
            }
            #expect(after > tick, "the counter went on at the destination (\(tick) -> \(after))")
            #expect(!(try await consoleOutput(client, id, token)).contains("NOVA-GUEST-BOOTED"), "no new boot")
            #expect(await !cloud.virtDrivers[source]!.listInstanceUUIDs().contains(id), "the source is cleaned")

            // Cold: the disk goes back to the first host; the guest boots from it there.
            #expect(try await action(client, id, ["migrate": .null], token).status == 202)
            try await client.waitFor(id, status: "VERIFY_RESIZE", token: token, seconds: 300)
            #expect(try await host(client, id, token) == source)
            try await waitForMarker(client, id, token)
            #expect(try await action(client, id, ["confirmResize": .null], token).status == 204)
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 60)
            for _ in 0..<100 where await cloud.virtDrivers[destination]!.listInstanceUUIDs().contains(id) {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(await !cloud.virtDrivers[destination]!.listInstanceUUIDs().contains(id))
            #expect(cloud.placement.snapshot.consumers.count == 1, "only the server holds resources")

            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token).status == 204)
            for _ in 0..<300 where !QEMUEnvironment.processes(naming: id).isEmpty {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(QEMUEnvironment.processes(naming: id).isEmpty)
        }
    }

    /// Waits for `marker` on the console of the guest's current host.
    func waitForText(_ client: CloudClient, _ id: String, _ token: String, _ marker: String) async throws {
        for _ in 0..<1200 {
            if try await consoleOutput(client, id, token).contains(marker) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no \(marker) on the console of \(id): \(try await consoleOutput(client, id, token).suffix(1500))")
    }

    @Test func aRealGuestBootedFromAVolumeMovesWithItsVolumes() async throws {
        try await withQEMUCloud(hosts: 2) { client, cloud in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let image = try await guestImage(client, token)
            let created = try await client.request(
                .post, "/compute/v2.1/servers", token: token, version: "2.37",
                body: [
                    "server": [
                        "name": "volume-traveller", "flavorRef": "1", "networks": "none",
                        "block_device_mapping_v2": [
                            [
                                "uuid": .string(image), "source_type": "image", "destination_type": "volume",
                                "boot_index": 0, "volume_size": 1, "delete_on_termination": true,
                            ],
                            [
                                "source_type": "blank", "destination_type": "volume", "volume_size": 1,
                                "boot_index": -1, "delete_on_termination": true,
                            ],
                        ],
                    ]
                ])
            #expect(created.status == 202, "\(created.text)")
            let id = try #require(created.json?["server"]?["id"]?.stringValue)
            let server = try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 120)
            let volumes =
                server["os-extended-volumes:volumes_attached"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(volumes.count == 2)
            try await waitForText(client, id, token, "NOVA-GUEST-ROOT-VOLUME")
            try await waitForText(client, id, token, "NOVA-GUEST-VOLUME-WROTE")
            let source = try #require(try await host(client, id, token))
            let destination = try #require(cloud.options.computeHostNames.first { $0 != source })
            let tick = try await lastTick(client, id, token)

            // Live, with no block migration: the destination reaches the same volumes through new exports.
            let live = try await action(
                client, id, ["os-migrateLive": ["host": .string(destination), "block_migration": "auto"]], token,
                version: "2.30")
            #expect(live.status == 202, "\(live.text)")
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 300)
            #expect(try await host(client, id, token) == destination)
            var after = -1
            for _ in 0..<100 where after <= tick {
                try await Task.sleep(for: .milliseconds(300))
                after = try await lastTick(client, id, token)
            }
            #expect(after > tick, "the guest runs on at the destination (\(tick) -> \(after))")
            #expect(!(try await consoleOutput(client, id, token)).contains("NOVA-GUEST-BOOTED"), "no new boot")

            // Cold, back: the guest boots from its root volume there and reads what it wrote on the other one.
            #expect(try await action(client, id, ["migrate": .null], token).status == 202)
            try await client.waitFor(id, status: "VERIFY_RESIZE", token: token, seconds: 300)
            #expect(try await host(client, id, token) == source)
            try await waitForText(client, id, token, "NOVA-GUEST-VOLUME-READ")
            #expect(try await action(client, id, ["confirmResize": .null], token).status == 204)
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 60)

            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token).status == 204)
            for volume in volumes {
                var status = 200
                for _ in 0..<300 where status != 404 {
                    status = try await client.request(.get, "/volume/v3/volumes/\(volume)", token: token).status
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(status == 404, "volume \(volume) is deleted with its server")
            }
        }
    }
}
