import Foundation
import NovaCloud
import NovaCore
import NovaDB
import NovaTestSupport
import Testing

/// Listing reuses the decoding of rows that did not change, and never answers with an old row.
@Suite struct InstanceListingTests {
    @Test func aListAfterAChangeShowsTheChange() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token, hosts: 1)
            let store = cloud.computeStore
            let first = try await store.listInstances(InstanceListQuery())
            #expect(try await store.listInstances(InstanceListQuery()) == first)
            try await store.updateInstance(uuid: id, InstanceUpdate(taskState: .rebooting, progress: 42))
            let changed = try #require(try await store.listInstances(InstanceListQuery()).first { $0.uuid == id })
            #expect(changed.taskState == .rebooting && changed.progress == 42)
            let listed = try await client.request(.get, "/compute/v2.1/servers/detail", token: token)
            let server = listed.json?["servers"]?.arrayValue?.first
            #expect(server?["OS-EXT-STS:task_state"]?.stringValue == "rebooting")
        }
    }

    /// `reservation_id` filters before the page is cut: the reservation's server is found even when newer
    /// servers of the project fill the first page.
    @Test func aReservationIsFoundPastALimit() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let image = try await client.defaultImage(token: token)
            let reply = try await client.request(
                .post, "/compute/v2.1/servers", token: token,
                body: [
                    "server": [
                        "name": "reserved", "flavorRef": "1", "imageRef": .string(image),
                        "return_reservation_id": true,
                    ]
                ])
            let reservation = try #require(reply.json?["reservation_id"]?.stringValue, "\(reply.text)")
            for index in 0..<3 { _ = try await client.createServer("newer-\(index)", token: token, image: image) }
            let path = "/compute/v2.1/servers/detail?limit=1&reservation_id=" + reservation
            let page = try await client.request(.get, path, token: token)
            let servers = page.json?["servers"]?.arrayValue ?? []
            #expect(servers.map { $0["name"]?.stringValue } == ["reserved"], "\(page.text)")
            let stored = try await cloud.computeStore.listInstances(InstanceListQuery(reservationID: reservation))
            #expect(stored.map(\.displayName) == ["reserved"])
        }
    }
}
