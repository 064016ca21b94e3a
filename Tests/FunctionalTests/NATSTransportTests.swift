import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// The whole cloud with its messages over a real nats-server (`[DEFAULT] transport_url`).
@Suite(.enabled(if: NATSServerProcess.binary != nil, "needs nats-server"))
struct NATSTransportTests {
    @Test func serversBootStopAndMoveOverNATS() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        _ = try await server.connect()
        try await withCloud(fakeHosts: 2, configure: { $0.transportURL = server.url }) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await action(client, id, ["os-stop": .null], token, expect: 202)
            try await client.waitFor(id, status: "SHUTOFF", token: token)
            try await action(client, id, ["os-start": .null], token, expect: 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            try await action(client, id, ["migrate": .null], token, expect: 202)
            let moved = try await client.waitFor(id, status: "VERIFY_RESIZE", token: token)
            #expect(moved["OS-EXT-SRV-ATTR:host"]?.stringValue != source)
            try await action(client, id, ["confirmResize": .null], token, expect: 204)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            try await audit(cloud)
        }
    }

    @Test func aCallToAHostNobodyServesFailsAtOnce() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        _ = try await server.connect()
        try await withCloud(fakeHosts: 1, configure: { $0.transportURL = server.url }) { _, cloud in
            let started = ContinuousClock.now
            await #expect(throws: NovaError.self) {
                _ = try await cloud.bus.call(topic: "compute.no-such-host", payload: [], timeout: .seconds(60))
            }
            #expect(ContinuousClock.now - started < .seconds(30), "an answer, not the timeout")
        }
    }
}
