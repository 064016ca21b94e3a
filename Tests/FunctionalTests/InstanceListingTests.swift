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
}
