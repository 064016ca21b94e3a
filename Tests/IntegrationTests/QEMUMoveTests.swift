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
}
