import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// A server's ports are bound where its guest runs: after a live migration (INACTIVE binding on the
/// destination, activated at the switch), a cold migration and its revert, a shelve offload and unshelve;
/// a failed live migration leaves them where they were. And the binding-extended API itself.
@Suite struct PortBindingTests {
    static let networking = "/networking/v2.0"

    /// (port id, the host its active binding names, how many bindings it has).
    static func binding(_ client: CloudClient, _ server: String, _ admin: String) async throws
        -> (String, String, Int)
    {
        let ports = try await client.request(.get, networking + "/ports?device_id=\(server)", token: admin)
        let port = try #require(ports.json?["ports"]?.arrayValue?.first, "\(ports.text)")
        let id = try #require(port["id"]?.stringValue)
        let bindings = try await client.request(.get, networking + "/ports/\(id)/bindings", token: admin)
        return (
            id, port["binding:host_id"]?.stringValue ?? "", bindings.json?["bindings"]?.arrayValue?.count ?? -1
        )
    }

    static func host(_ client: CloudClient, _ server: String, _ admin: String) async throws -> String {
        let reply = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: admin)
        return reply.json?["server"]?["OS-EXT-SRV-ATTR:host"]?.stringValue ?? ""
    }

    @Test func bindingsFollowTheGuest() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            try await client.waitForHosts(2, token: admin)
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("moving", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let first = try await Self.host(client, server, admin)
            #expect(try await Self.binding(client, server, admin).1 == first)

            for driver in cloud.drivers.values { await driver.failNext("live_migration") }
            try await action(
                client, server, ["os-migrateLive": ["host": .null, "block_migration": "auto"]], admin,
                version: "2.30", expect: 202)
            try await waitForMigration(client, server, admin, status: "failed")
            try await client.waitFor(server, status: "ACTIVE", token: admin)
            let (_, stayed, count) = try await Self.binding(client, server, admin)
            #expect(stayed == first && count == 1, "a failed live migration moved the binding to \(stayed)")

            try await action(
                client, server, ["os-migrateLive": ["host": .null, "block_migration": "auto"]], admin,
                version: "2.30", expect: 202)
            try await waitForMigration(client, server, admin, status: "completed")
            try await client.waitFor(server, status: "ACTIVE", token: admin)
            let second = try await Self.host(client, server, admin)
            let (_, live, liveCount) = try await Self.binding(client, server, admin)
            #expect(second != first && live == second && liveCount == 1, "\(live) \(liveCount)")

            try await action(client, server, ["migrate": .null], admin, expect: 202)
            try await client.waitFor(server, status: "VERIFY_RESIZE", token: admin)
            #expect(try await Self.binding(client, server, admin).1 == first)
            try await action(client, server, ["revertResize": .null], admin, expect: 202)
            try await client.waitFor(server, status: "ACTIVE", token: admin)
            #expect(try await Self.binding(client, server, admin).1 == second)

            try await action(client, server, ["shelve": .null], admin, expect: 202)
            try await client.waitFor(server, status: "SHELVED_OFFLOADED", token: admin)
            let (portID, offloaded, _) = try await Self.binding(client, server, admin)
            #expect(offloaded == "")
            let port = try await client.request(.get, Self.networking + "/ports/\(portID)", token: admin)
            #expect(port.json?["port"]?["device_id"]?.stringValue == server)
            try await action(client, server, ["unshelve": .null], admin, expect: 202)
            try await client.waitFor(server, status: "ACTIVE", token: admin)
            #expect(try await Self.binding(client, server, admin).1 == (try await Self.host(client, server, admin)))

            // Deleted while offloaded, the API ends it itself (Nova's _local_delete): its port goes too.
            try await action(client, server, ["shelve": .null], admin, expect: 202)
            try await client.waitFor(server, status: "SHELVED_OFFLOADED", token: admin)
            let deleted = try await client.request(.delete, "/compute/v2.1/servers/\(server)", token: admin)
            #expect(deleted.status == 204, "\(deleted.text)")
            let gone = try await client.request(.get, Self.networking + "/ports/\(portID)", token: admin)
            #expect(gone.status == 404, "\(gone.text)")
        }
    }

    @Test func bindingExtendedIsForAdminsAndChecksItsBindings() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let networks = try await client.request(.get, Self.networking + "/networks?name=private", token: demo)
            let network = try #require(networks.json?["networks"]?.arrayValue?.first?["id"]?.stringValue)
            let made = try await client.request(
                .post, Self.networking + "/ports", token: demo, body: ["port": ["network_id": .string(network)]])
            let port = try #require(made.json?["port"]?["id"]?.stringValue)
            let path = Self.networking + "/ports/\(port)/bindings"
            let refused = try await client.request(.post, path, token: demo, body: ["binding": ["host": "a"]])
            #expect(refused.status == 403, "\(refused.text)")

            let first = try await client.request(.post, path, token: admin, body: ["binding": ["host": "a"]])
            #expect(first.status == 201 && first.json?["binding"]?["status"] == "ACTIVE", "\(first.text)")
            let second = try await client.request(.post, path, token: admin, body: ["binding": ["host": "b"]])
            #expect(second.status == 201 && second.json?["binding"]?["status"] == "INACTIVE", "\(second.text)")
            let twice = try await client.request(.post, path, token: admin, body: ["binding": ["host": "b"]])
            #expect(twice.status == 409 && twice.json?["NeutronError"]?["type"] == "PortBindingAlreadyExists")
            let activated = try await client.request(.put, path + "/b/activate", token: admin)
            #expect(activated.status == 200, "\(activated.text)")
            let again = try await client.request(.put, path + "/b/activate", token: admin)
            #expect(again.status == 409 && again.json?["NeutronError"]?["type"] == "PortBindingAlreadyActive")
            let shown = try await client.request(.get, Self.networking + "/ports/\(port)", token: admin)
            #expect(shown.json?["port"]?["binding:host_id"] == "b")
            let listed = try await client.request(.get, path, token: admin)
            let statuses = listed.json?["bindings"]?.arrayValue?.compactMap { $0["status"]?.stringValue }
            #expect(statuses == ["ACTIVE", "INACTIVE"], "\(listed.text)")
            #expect(try await client.request(.delete, path + "/a", token: admin).status == 204)
            let missing = try await client.request(.delete, path + "/a", token: admin)
            #expect(missing.status == 404 && missing.json?["NeutronError"]?["type"] == "PortBindingNotFound")
            let bad = try await client.request(.post, path, token: admin, body: ["binding": ["hots": "x"]])
            #expect(bad.status == 400, "\(bad.text)")
        }
    }
}

/// Servers from before the networking service keep their address and MAC as a port of `private` after a
/// restart, and their port goes with them.
@Suite struct FixedAddressMigrationTests {
    @Test func oldAddressesBecomePortsOnTheNextStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nova-test-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (server, legacy, password) = try await withCloud(dataDirectory: directory, fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer(
                "old", token: demo, image: image, extra: ["networks": "none"], version: "2.37")
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            try await cloud.computeStore.mutateInstance(uuid: server) { $0.networkRequests = nil }
            let instance = try await cloud.computeStore.allocateFixedAddress(uuid: server)
            return (server, try #require(instance.addresses?.first), cloud.firstStart.demoPassword ?? "")
        }
        try await withCloud(dataDirectory: directory, fakeHosts: 1) { client, cloud in
            let demo = try await client.token(user: "demo", password: password, project: "demo")
            let admin = try await client.adminToken()
            let view = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: demo)
            let address = view.json?["server"]?["addresses"]?["private"]?.arrayValue?.first
            #expect(address?["addr"]?.stringValue == legacy.address, "\(view.text)")
            #expect(address?["OS-EXT-IPS-MAC:mac_addr"]?.stringValue == legacy.mac)
            let ports = try await client.request(.get, "/networking/v2.0/ports?device_id=\(server)", token: admin)
            let port = try #require(ports.json?["ports"]?.arrayValue?.first, "\(ports.text)")
            #expect(port["mac_address"]?.stringValue == legacy.mac && port["status"] == "ACTIVE", "\(port)")
            #expect(try await cloud.computeStore.instancesWithFixedAddresses().isEmpty)
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(server)", token: demo).status == 204)
            #expect(
                try await ServerInterfaceTests.eventually {
                    let left = try await client.request(
                        .get, "/networking/v2.0/ports?device_id=\(server)", token: admin)
                    return left.json?["ports"]?.arrayValue?.isEmpty == true
                })
        }
    }
}
