import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Builds lost before a host was chosen (a conductor killed, a message lost, a restart) are scheduled again
/// under a new build attempt, and a late answer of the earlier attempt changes nothing.
@Suite struct LostBuildTests {
    /// An instance as the API stores it, whose build no conductor took up.
    func orphanBuild(_ cloud: AllInOneCloud, image: String, attempt: Int? = nil) async throws -> Instance {
        let project = try #require(try await cloud.identityStore.projects(name: "admin").first?.id)
        var instance = Instance(
            uuid: UUID().uuidString.lowercased(), displayName: "orphan", projectID: project, userID: "u",
            flavor: Flavor.defaults[0], imageRef: image, createdAt: Date(), reservationID: "r-1")
        instance.buildAttempt = attempt
        try await cloud.computeStore.createInstances([instance], actions: [])
        return instance
    }

    @Test func aBuildLostInSchedulingIsScheduledAgainAndALateAnswerChangesNothing() async throws {
        try await withCloud { client, cloud in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let image = try await client.defaultImage(token: token)
            let orphan = try await orphanBuild(cloud, image: image)

            try await cloud.conductor.recoverInterruptedBuilds(untouchedSince: Date().addingTimeInterval(1))
            let server = try await client.waitFor(orphan.uuid, status: "ACTIVE", token: token)
            let host = try #require(server["OS-EXT-SRV-ATTR:host"]?.stringValue)
            let placed = try #require(try await cloud.computeStore.instance(uuid: orphan.uuid))
            #expect(placed.buildAttempt == 1)
            let held = cloud.placement.snapshot.consumers[orphan.uuid]?.allocations
            #expect(held != nil)

            // The first attempt's answer, late: its selection and its host's first step are refused.
            await cloud.conductor.buildInstances(RequestSpec(rebuilding: orphan), context: .service("test"))
            var late = InstanceUpdate(expectedTaskStates: [.scheduling, nil], host: "elsewhere", node: "elsewhere")
            late.expectedBuildAttempt = 0
            await #expect(throws: NovaError.self) {
                try await cloud.computeStore.updateInstance(uuid: orphan.uuid, late)
            }
            let after = try #require(try await cloud.computeStore.instance(uuid: orphan.uuid))
            #expect(after.vmState == .active && after.host == host && after.taskState == nil)
            #expect(cloud.placement.snapshot.consumers[orphan.uuid]?.allocations == held)
            #expect(await cloud.drivers[host]?.powerState(of: after) == .running)
        }
    }

    @Test func aBuildLostTooOftenEndsInErrorWithAFaultAndNoClaim() async throws {
        try await withCloud(configure: { $0.moves.lostBuildAttempts = 1 }) { client, cloud in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let image = try await client.defaultImage(token: token)
            let orphan = try await orphanBuild(cloud, image: image, attempt: 1)
            try await cloud.conductor.recoverInterruptedBuilds(untouchedSince: Date().addingTimeInterval(1))
            let server = try await client.waitFor(orphan.uuid, status: "ERROR", token: token)
            #expect(server["fault"]?["message"]?.stringValue?.contains("lost 2 times") == true, "\(server)")
            try await expectNoAllocations(cloud, of: orphan.uuid)
        }
    }

    @Test func aBuildWhoseHostIsChosenButNeverToldIsScheduledAgain() async throws {
        try await withCloud { client, cloud in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let image = try await client.defaultImage(token: token)
            let orphan = try await orphanBuild(cloud, image: image)
            // The conductor chose a host and claimed there, then the cast to the host was lost.
            let host = cloud.options.computeHostNames[0]
            _ = try await cloud.computeStore.updateInstance(
                uuid: orphan.uuid, InstanceUpdate(expectedTaskStates: [.scheduling], host: host, node: host))
            try await cloud.conductor.recoverInterruptedBuilds(untouchedSince: Date().addingTimeInterval(1))
            try await client.waitFor(orphan.uuid, status: "ACTIVE", token: token)
            try await audit(cloud)
        }
    }
}
