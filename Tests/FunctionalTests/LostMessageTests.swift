import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// What a compute host does when the bus loses its messages to the conductor: requests are sent again without
/// being applied twice, and a build that gave up half way is finished or scheduled again by its host rather
/// than left in BUILD.
@Suite struct LostMessageTests {
    @Test func anUpdateSentAgainIsAppliedOnce() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token, hosts: 1)
            var update = InstanceUpdate(expectedTaskStates: [nil], taskState: .rebooting)
            update.updateID = UUID().uuidString
            let first = try await cloud.computeStore.updateInstance(uuid: id, update)
            let stored = try await cloud.computeStore.instance(uuid: id)
            let again = try await cloud.computeStore.updateInstance(uuid: id, update)
            #expect(first.taskState == .rebooting)
            #expect(again == stored, "the repeat changed nothing, and did not fail on its task state guard")
            update.updateID = UUID().uuidString
            await #expect(throws: NovaError.self, "another update with the same guard still conflicts") {
                try await cloud.computeStore.updateInstance(uuid: id, update)
            }
        }
    }

    @Test func anEventReportSentAgainIsRecordedOnce() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            let create = try #require(try await cloud.computeStore.actions(instanceUUID: id).first)
            let start = ActionEventReport(
                instanceUUID: id, requestID: create.requestID, event: "compute_test_step", host: host, time: Date())
            var finish = start
            finish.result = "Success"
            finish.time = start.time.addingTimeInterval(1)
            for report in [start, start, finish, finish] {
                try await cloud.computeStore.recordActionEvent(report)
            }
            let recorded = try await cloud.computeStore.actions(instanceUUID: id, requestID: create.requestID)
            let steps = recorded.first?.events.filter { $0.event == "compute_test_step" } ?? []
            #expect(steps.count == 1, "\(steps)")
            #expect(steps.first?.result == "Success")
        }
    }

    @Test func aBuildLostHalfWayIsFinishedOrScheduledAgainByItsHost() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (started, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            let (unstarted, _) = try await bootAndLocate(client, cloud, token, hosts: 1)
            let driver = try #require(cloud.drivers[host])
            // Lost after the guest started (the ACTIVE update), and lost before the spawn (no guest).
            try await cloud.computeStore.updateInstance(
                uuid: started, InstanceUpdate(vmState: .building, taskState: .spawning))
            let lost = try await cloud.computeStore.updateInstance(
                uuid: unstarted, InstanceUpdate(vmState: .building, taskState: .networking))
            try await driver.destroy(lost)
            // A build still under way on the host is not lost.
            await driver.hang("spawn")
            let running = try await client.createServer(
                "running", token: token, image: try await client.defaultImage(token: token))
            for _ in 0..<200 where try await cloud.computeStore.instance(uuid: running)?.taskState != .spawning {
                try await Task.sleep(for: .milliseconds(25))
            }

            try await #require(cloud.computeManagers.first).recoverLostBuilds()

            let finished = try await client.waitFor(started, status: "ACTIVE", token: token)
            #expect(finished["OS-EXT-STS:task_state"] == .null)
            #expect(try await cloud.computeStore.instance(uuid: running)?.taskState == .spawning)
            await driver.release("spawn")
            try await client.waitFor(running, status: "ACTIVE", token: token)
            // The build lost before its spawn was scheduled again (its spawn waited for the release too).
            let again = try await client.waitFor(unstarted, status: "ACTIVE", token: token)
            #expect(again["fault"] == nil, "\(again)")
            #expect(try await cloud.computeStore.instance(uuid: unstarted)?.buildAttempt == 1)
            #expect(await driver.powerState(of: lost) == .running)
        }
    }
}
