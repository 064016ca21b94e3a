import Foundation
import NovaCloud
import NovaConfig
import NovaCore
import NovaTestSupport
import Testing

@Suite struct ComputeHostTests {
    @Test func aGuestThatPowersItselfOffMakesItsServerShutoff() async throws {
        try await withCloud(fakeHosts: 1, configure: { $0.syncPowerStateInterval = .milliseconds(200) }) {
            client, cloud in
            let token = try await client.adminToken()
            let id = try await client.createServer(
                "guest", token: token, image: try await client.defaultImage(token: token))
            try await client.waitFor(id, status: "ACTIVE", token: token)
            // The guest shuts down by itself, behind Nova's back (as `poweroff` inside it would).
            let instance = try #require(try await cloud.computeStore.instance(uuid: id))
            let driver = try #require(cloud.drivers.values.first)
            try await driver.powerOff(instance)
            let server = try await client.waitFor(id, status: "SHUTOFF", token: token)
            #expect(server["OS-EXT-STS:power_state"]?.intValue == 4)
            #expect(server["OS-EXT-STS:task_state"] == .null)
        }
    }

    @Test func myIPIsTheHypervisorsHostIP() async throws {
        let config = try NovaConfig(
            text: "[DEFAULT]\nmy_ip = 192.0.2.7\n[vnc]\nserver_proxyclient_address = 192.0.2.7\n")
        let read = try CloudOptions(config: config, dataDirectory: "/tmp/unused")
        #expect(read.console.serverProxyClientAddress == "192.0.2.7" && read.console.serverListen == "127.0.0.1")
        try await withCloud(fakeHosts: 2, configure: { $0.myIP = read.myIP }) { client, _ in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let hypervisors = try await client.request(.get, "/compute/v2.1/os-hypervisors/detail", token: token)
            let addresses = hypervisors.json?["hypervisors"]?.arrayValue?.map { $0["host_ip"] }
            #expect(addresses == ["192.0.2.7", "192.0.2.7"])
        }
    }

    @Test func aForcedDownHostIsDownAndNotScheduled() async throws {
        try await withCloud(fakeHosts: 2) { client, _ in
            let token = try await client.adminToken()
            let first = try await client.firstComputeService(hosts: 2, token: token)
            let id = try #require(first["id"]?.stringValue)
            let forced = try await client.request(
                .put, "/compute/v2.1/os-services/\(id)", token: token, version: "2.53", body: ["forced_down": true])
            #expect(forced.json?["service"]?["state"] == "down")
            #expect(forced.json?["service"]?["forced_down"] == true)
            try await client.expectServersAvoid(host: first["host"], count: 3, token: token)
            let status = try await client.request(.get, "/compute/v2.1/servers/detail", token: token, version: "2.16")
            #expect(status.json?["servers"]?.arrayValue?.allSatisfy { $0["host_status"] == "UP" } == true)
        }
    }
}
