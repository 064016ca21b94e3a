import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Evacuation: a server whose host is down is rebuilt on another host, by an admin or by the conductor itself
/// with `[compute] auto_evacuate`.
@Suite struct EvacuateTests {
    @Test func anAdminEvacuatesAServerOffADownHost() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await action(client, id, ["evacuate": .object([:])], token, version: "2.29", expect: 400)
            try await forceDown(source, client, token)
            try await action(client, id, ["evacuate": .object([:])], token, version: "2.29", expect: 200)
            let migration = try await waitForMigration(client, id, token, status: "done")
            #expect(migration["migration_type"] == "evacuation")
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue != source)
            try await audit(cloud)
        }
    }

    @Test func aFailedRebuildOnTheDestinationEndsInErrorOnTheSource() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await forceDown(source, client, token)
            for (host, driver) in cloud.drivers where host != source { await driver.failNext("spawn") }
            try await action(client, id, ["evacuate": .object([:])], token, version: "2.29", expect: 200)
            try await waitForMigration(client, id, token, status: "error")
            let server = try await client.waitFor(id, status: "ERROR", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue == source, "recorded where its guest may still be")
            #expect(server["fault"]?["message"]?.stringValue?.contains("spawn") == true)
            for (host, driver) in cloud.drivers where host != source {
                #expect(await !driver.listInstanceUUIDs().contains(id), "no half-built guest is left")
            }
            try await audit(cloud)
        }
    }

    @Test func withNoOtherHostAnEvacuationChangesNothing() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await forceDown(source, client, token)
            try await action(client, id, ["evacuate": .object([:])], token, version: "2.29", expect: 200)
            try await waitForMigration(client, id, token, status: "error")
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue == source)
            try await audit(cloud)
        }
    }

    @Test func from295AnEvacuatedServerIsLeftStopped() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await forceDown(source, client, token)
            try await action(client, id, ["evacuate": .object([:])], token, version: "2.95", expect: 200)
            let server = try await client.waitFor(id, status: "SHUTOFF", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue != source)
            let demo = try await client.demoToken(cloud)
            let reply = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: demo, body: ["evacuate": .object([:])])
            #expect(reply.status == 404 || reply.status == 403)
            try await audit(cloud)
        }
    }

    @Test func theConductorEvacuatesADownHostByItself() async throws {
        try await withCloud(
            fakeHosts: 3,
            configure: {
                $0.moves.autoEvacuate = true
                $0.reportInterval = .milliseconds(200)
            }
        ) { client, cloud in
            let token = try await client.adminToken()
            let (first, source) = try await bootAndLocate(client, cloud, token)
            let second = try await client.createServer(
                "second", token: token, image: try await client.defaultImage(token: token))
            try await client.waitFor(second, status: "ACTIVE", token: token)
            try await forceDown(source, client, token)
            for id in [first, second] {
                let before = try #require(try await cloud.computeStore.instance(uuid: id))
                guard before.host == source else { continue }
                try await waitForMigration(client, id, token, status: "done")
                let server = try await client.waitFor(id, status: "ACTIVE", token: token)
                #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue != source)
            }
            try await audit(cloud)
        }
    }
}

/// Marks a host's compute service forced down (2.53), as an operator does when the host has died.
func forceDown(_ host: String, _ client: CloudClient, _ token: String) async throws {
    let services = try await client.request(
        .get, "/compute/v2.1/os-services?binary=nova-compute&host=\(host)", token: token, version: "2.53")
    let id = try #require(services.json?["services"]?.arrayValue?.first?["id"]?.stringValue)
    let reply = try await client.request(
        .put, "/compute/v2.1/os-services/\(id)", token: token, version: "2.53", body: ["forced_down": true])
    try #require(reply.status == 200, "\(reply.text)")
}
