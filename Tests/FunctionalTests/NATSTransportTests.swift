import Foundation
import Logging
import NATSClient
import NovaBus
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

    @Test func notificationsAreStoredInJetStreamEachAcknowledged() async throws {
        let server = try NATSServerProcess(jetStream: true)
        defer { server.stop() }
        let reader = try await server.connect()
        try await withCloud(
            fakeHosts: 1,
            configure: {
                $0.transportURL = server.url
                $0.versionedNotifications = true
                $0.jetStreamNotifications = true
            }
        ) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token)
            // What the stream kept, read back message by message as a consumer would.
            var events: [String] = []
            for _ in 0..<100 where !events.contains("instance.create.end") {
                events = []
                let info = try await reader.request(
                    "$JS.API.STREAM.INFO.\(NATSBus.notificationStream)", payload: [], timeout: .seconds(5))
                let count = JSON.parse(info.payload)?["state"]?["messages"]?.intValue ?? 0
                for sequence in 0..<count {
                    let reply = try await reader.request(
                        "$JS.API.STREAM.MSG.GET.\(NATSBus.notificationStream)",
                        payload: JSON.object(["seq": .int(sequence + 1)]).bytes(), timeout: .seconds(5))
                    let data = JSON.parse(reply.payload)?["message"]?["data"]?.stringValue ?? ""
                    let envelope = Data(base64Encoded: data).flatMap { JSON.parse($0) }
                    if envelope?["payload"]?["nova_object.data"]?["uuid"]?.stringValue == id,
                        let event = envelope?["event_type"]?.stringValue
                    {
                        events.append(event)
                    }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(events == ["instance.create.start", "instance.create.end"])
        }
    }

    @Test func jetStreamNotificationsNeedAServerWithJetStream() async throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        _ = try await server.connect()
        await #expect(throws: NovaError.self) {
            _ = try await NATSBus.connect(
                url: server.url, name: "test", logger: Logger(label: "test"), jetStreamNotifications: true)
        }
    }
}
