import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import PlacementCore
import ServiceClients
import Testing

/// The HTTP clients a service in its own process uses (Placement, Glance), against a live cloud: each must
/// give what the in-process service gives.
@Suite struct RemoteServiceClientsTests {
    static func session(_ client: CloudClient) throws -> ServiceSession {
        let port = try #require(client.client.port)
        return ServiceSession(
            credentials: ServiceCredentials(
                authURL: "http://127.0.0.1:\(port)/identity", username: "admin", password: "test-admin",
                projectName: "admin"))
    }

    @Test func providersTraitsAndAggregatesMatchTheService() async throws {
        try await withCloud(fakeHosts: 1, live: true) { client, cloud in
            let session = try Self.session(client)
            defer { Task { await session.shutdown() } }
            let remote = RemotePlacement(session: session)
            let report = ProviderReport(
                uuid: UUID().uuidString.lowercased(), name: "remote-node",
                inventories: [
                    "VCPU": Inventory(total: 8, allocationRatio: 4), "MEMORY_MB": Inventory(total: 4096, reserved: 512),
                ],
                traits: ["COMPUTE_NODE", "COMPUTE_STATUS_DISABLED"])
            try await remote.reportProvider(report)
            var provider = try cloud.placement.snapshot.provider(report.uuid)
            #expect(provider.name == "remote-node")
            #expect(provider.inventories == report.inventories)
            #expect(provider.traits == report.traits)
            // The same report again writes nothing; a changed one keeps an operator's custom trait.
            let generation = provider.generation
            try await remote.reportProvider(report)
            #expect(try cloud.placement.snapshot.provider(report.uuid).generation == generation)
            try await remote.setTrait("CUSTOM_GOLD", present: true, providerNamed: "remote-node")
            var changed = report
            changed.traits = ["COMPUTE_NODE"]
            changed.inventories["VCPU"]?.total = 16
            try await remote.reportProvider(changed)
            provider = try cloud.placement.snapshot.provider(report.uuid)
            #expect(provider.traits == ["COMPUTE_NODE", "CUSTOM_GOLD"])
            #expect(provider.inventories["VCPU"]?.total == 16)
            let aggregate = UUID().uuidString.lowercased()
            try await remote.setAggregate(aggregate, member: true, providerNamed: "remote-node")
            #expect(try cloud.placement.snapshot.provider(report.uuid).aggregates == [aggregate])
            try await remote.setAggregate(aggregate, member: false, providerNamed: "remote-node")
            #expect(try cloud.placement.snapshot.provider(report.uuid).aggregates.isEmpty)
        }
    }

    @Test func concurrentFirstCallsShareOneToken() async throws {
        try await withCloud(fakeHosts: 1, live: true) { client, _ in
            let session = try Self.session(client)
            defer { Task { await session.shutdown() } }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await session.send("placement", .GET, "/resource_providers").status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 16))
            #expect(session.authenticationCount == 1)
        }
    }

    @Test func candidatesClaimsAndMovesMatchTheService() async throws {
        try await withCloud(fakeHosts: 2, live: true) { client, cloud in
            let session = try Self.session(client)
            defer { Task { await session.shutdown() } }
            let remote = RemotePlacement(session: session)
            var nodes = Array(cloud.placement.snapshot.providers.keys)
            for _ in 0..<100 where nodes.count < 2 {
                try await Task.sleep(for: .milliseconds(50))
                nodes = Array(cloud.placement.snapshot.providers.keys)
            }
            try #require(nodes.count == 2)
            try await remote.setTrait("CUSTOM_FAST", present: true, providerNamed: "fake-1")
            let queries: [CandidateQuery] = [
                .resources(["VCPU": 2, "MEMORY_MB": 1024]),
                .resources(["VCPU": 1], required: TraitRule(required: ["CUSTOM_FAST"])),
                .resources(["VCPU": 1], required: TraitRule(forbidden: ["CUSTOM_FAST"])),
                .resources(["MEMORY_MB": 99_999_999]),
                CandidateQuery(
                    groups: [
                        RequestGroup(resources: ["VCPU": 1]), RequestGroup(suffix: "1", resources: ["DISK_GB": 1]),
                    ],
                    groupPolicy: .none, limit: 1),
            ]
            for query in queries {
                let local = try await cloud.placement.allocationCandidates(query)
                let overHTTP = try await remote.allocationCandidates(query)
                #expect(Set(overHTTP.requests.map(\.allocations)) == Set(local.requests.map(\.allocations)))
                #expect(Set(overHTTP.requests.map(\.rootUUID)) == Set(local.requests.map(\.rootUUID)))
                for summary in overHTTP.summaries {
                    let provider = try #require(local.summaries.first { $0.uuid == summary.uuid })
                    #expect(summary.inventories.mapValues(\.capacity) == provider.inventories.mapValues(\.capacity))
                    #expect(summary.traits == provider.traits)
                }
                #expect(
                    try await remote.explainRejections(query) == (try await cloud.placement.explainRejections(query)))
            }

            let consumer = UUID().uuidString.lowercased()
            let write = AllocationWrite(
                consumerUUID: consumer, allocations: [nodes[0]: ["VCPU": 2, "MEMORY_MB": 256]], projectID: "p",
                userID: "u", consumerType: "INSTANCE")
            #expect(try await remote.claim([write]))
            #expect(try await remote.allocations(consumer: consumer) == write.allocations)
            // A writer that believes the consumer new loses to the one that wrote first (409 -> false).
            #expect(try await remote.claim([write]) == false)
            let usages = try await remote.providerUsages()
            #expect(usages[nodes[0]]?.usages["VCPU"] == 2 && usages[nodes[0]]?.consumers == 1)

            let migration = UUID().uuidString.lowercased()
            try await remote.moveAllocations(from: consumer, to: migration, targetType: "MIGRATION")
            #expect(try await remote.allocations(consumer: consumer).isEmpty)
            #expect(try await remote.allocations(consumer: migration) == write.allocations)
            #expect(cloud.placement.snapshot.consumers[migration]?.consumerType == "MIGRATION")
            try await remote.deleteAllocations(consumer: migration)
            try await remote.deleteAllocations(consumer: migration)
            #expect(try await remote.allocations(consumer: migration).isEmpty)
        }
    }

    @Test func imagesDownloadUploadListAndDeleteOverGlance() async throws {
        try await withCloud(fakeHosts: 1, live: true) { client, cloud in
            let session = try Self.session(client)
            defer { Task { await session.shutdown() } }
            let images = RemoteImageBackend(session: session)
            let token = try await client.adminToken()
            let listed = try await client.request(.get, "/image/v2/images?name=tiny-boot-sector", token: token)
            let id = try #require(listed.json?["images"]?.arrayValue?.first?["id"]?.stringValue)
            let info = try await images.imageInfo(id)
            #expect(info.diskFormat == "raw" && info.size > 0)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await images.download(id, to: directory + "/disk")
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/disk")).count == info.size)

            // A backup record as the API makes it, filled by the compute host's upload.
            let created = try await client.request(
                .post, "/image/v2/images", token: token,
                body: [
                    "name": "b1", "container_format": "bare", "instance_uuid": "i-1", "image_type": "backup",
                    "backup_type": "daily",
                ])
            let backup = try #require(created.json?["id"]?.stringValue)
            let payload = Data((0..<3_000_000).map { UInt8($0 % 251) })
            try payload.write(to: URL(fileURLWithPath: directory + "/upload"))
            try await images.upload(backup, from: directory + "/upload", diskFormat: "qcow2")
            let uploaded = try await images.imageInfo(backup)
            #expect(uploaded.diskFormat == "qcow2" && uploaded.size == payload.count)
            #expect(try await images.backups(instanceUUID: "i-1", backupType: "daily") == [backup])
            #expect(try await images.backups(instanceUUID: "i-1", backupType: "weekly").isEmpty)
            try await images.delete(backup)
            try await images.delete(backup)
            await #expect(throws: NovaError.self) { try await images.imageInfo(backup) }
        }
    }
}
