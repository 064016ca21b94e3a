import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Synchronization
import Testing

/// Versioned notifications as a consumer of `versioned_notifications.info` receives them.
@Suite struct NotificationTests {
    final class Inbox: Sendable {
        let received = Mutex<[JSON]>([])
        var all: [JSON] { received.withLock { $0 } }
        func eventTypes(of uuid: String) -> [String] {
            all.filter { $0["payload"]?["nova_object.data"]?["uuid"]?.stringValue == uuid }
                .compactMap { $0["event_type"]?.stringValue }
        }
    }

    @Test func computeOperationsPublishStartAndEndWithTheInstance() async throws {
        try await withCloud(fakeHosts: 1, configure: { $0.versionedNotifications = true }) { client, cloud in
            let inbox = Inbox()
            for topic in [VersionedNotification.infoTopic, VersionedNotification.errorTopic] {
                try await cloud.bus.subscribe(topic: topic) { bytes in
                    if let json = JSON.parse(bytes) { inbox.received.withLock { $0.append(json) } }
                    return []
                }
            }
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await action(client, id, ["os-stop": .null], token, expect: 202)
            try await client.waitFor(id, status: "SHUTOFF", token: token)
            await cloud.drivers[host]!.failNext("power_on")
            try await action(client, id, ["os-start": .null], token, expect: 202)
            for _ in 0..<200 where !inbox.eventTypes(of: id).contains("instance.power_on.error") {
                try await Task.sleep(for: .milliseconds(25))
            }
            let types = inbox.eventTypes(of: id)
            #expect(
                types.starts(with: [
                    "instance.create.start", "instance.create.end", "instance.power_off.start",
                    "instance.power_off.end", "instance.power_on.start", "instance.power_on.error",
                ]), "\(types)")
            let end = try #require(
                inbox.all.first { $0["event_type"] == "instance.power_off.end" })
            #expect(end["priority"] == "INFO" && end["publisher_id"] == .string("nova-compute:\(host)"))
            let payload = try #require(end["payload"])
            #expect(payload["nova_object.name"] == "InstanceActionPayload")
            let data = try #require(payload["nova_object.data"])
            #expect(data["state"] == "stopped" && data["power_state"] == "shutdown" && data["task_state"] == .null)
            #expect(data["flavor"]?["nova_object.data"]?["flavorid"] == "1")
            let failed = try #require(inbox.all.first { $0["event_type"] == "instance.power_on.error" })
            #expect(failed["priority"] == "ERROR")
            #expect(
                failed["payload"]?["nova_object.data"]?["fault"]?["nova_object.data"]?["exception_message"]?
                    .stringValue?.contains("power_on") == true)
        }
    }

    @Test func withoutTheDriverNothingIsPublished() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let inbox = Inbox()
            try await cloud.bus.subscribe(topic: VersionedNotification.infoTopic) { bytes in
                if let json = JSON.parse(bytes) { inbox.received.withLock { $0.append(json) } }
                return []
            }
            let token = try await client.adminToken()
            _ = try await bootAndLocate(client, cloud, token, hosts: 1)
            #expect(inbox.all.isEmpty)
        }
    }
}
