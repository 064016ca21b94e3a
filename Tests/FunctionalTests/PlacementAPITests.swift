import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

@Suite struct PlacementAPITests {
    @Test func versionDocumentAndErrorsInPlacementsFormat() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let root = try await client.request(.get, "/placement")
            #expect(root.status == 200)
            #expect(root.json?["versions"]?.arrayValue?.first?["max_version"] == "1.39")
            let anonymous = try await client.request(.get, "/placement/resource_providers")
            #expect(anonymous.status == 401)
            #expect(anonymous.json?["errors"]?.arrayValue?.first?["code"] == "placement.undefined_code")
            let member = try await client.request(
                .get, "/placement/resource_providers", token: try await client.demoToken(cloud))
            #expect(member.status == 403)
            let token = try await client.adminToken()
            let tooNew = try await client.request(.get, "/placement/resource_providers", token: token, version: "1.40")
            #expect(tooNew.status == 406)
            let reply = try await client.request(.get, "/placement/resource_providers", token: token, version: "1.39")
            #expect(reply.headers[HTTPField.Name("OpenStack-API-Version")!] == "placement 1.39")
        }
    }

    @Test func computeHostsReportTheirProviders() async throws {
        try await withCloud(fakeHosts: 2, hostResources: Resources(vcpus: 8, memoryMB: 4096, diskGB: 100)) {
            client, _ in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let list = try await client.request(.get, "/placement/resource_providers", token: token, version: "1.14")
            let providers = try #require(list.json?["resource_providers"]?.arrayValue)
            #expect(providers.compactMap { $0["name"]?.stringValue }.sorted() == ["fake-1", "fake-2"])
            let uuid = try #require(providers.first?["uuid"]?.stringValue)
            #expect(providers.first?["root_provider_uuid"]?.stringValue == uuid)
            let inventories = try await client.request(
                .get, "/placement/resource_providers/\(uuid)/inventories", token: token)
            #expect(inventories.json?["inventories"]?["VCPU"]?["allocation_ratio"] == .double(4.0))
            #expect(inventories.json?["inventories"]?["MEMORY_MB"]?["reserved"] == 512)
            let traits = try await client.request(
                .get, "/placement/resource_providers/\(uuid)/traits", token: token, version: "1.6")
            #expect(traits.json?["traits"]?.arrayValue?.contains("COMPUTE_NODE") == true)
        }
    }

    @Test func generationsAndCapacityAreEnforced() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let uuid = UUID().uuidString.lowercased()
            let created = try await client.request(
                .post, "/placement/resource_providers", token: token, version: "1.20",
                body: ["name": "pool", "uuid": .string(uuid)])
            // From 1.20 the answer is the provider, with 200 (201 and no body before).
            #expect(created.status == 200)
            #expect(created.json?["generation"] == 0)
            let path = "/placement/resource_providers/\(uuid)/inventories"
            let put = try await client.request(
                .put, path, token: token,
                body: ["resource_provider_generation": 0, "inventories": ["DISK_GB": ["total": 100, "reserved": 10]]])
            #expect(put.status == 200)
            #expect(put.json?["resource_provider_generation"] == 1)
            let stale = try await client.request(
                .put, path, token: token,
                body: ["resource_provider_generation": 0, "inventories": ["DISK_GB": ["total": 200]]])
            #expect(stale.status == 409)
            #expect(stale.json?["errors"]?.arrayValue?.first?["code"] == "placement.concurrent_update")
            let consumer = UUID().uuidString.lowercased()
            func allocate(_ amount: Int, generation: JSON) async throws -> Reply {
                var allocations = JSONObject()
                let resources: JSON = ["resources": ["DISK_GB": .int(amount)]]
                allocations.append(uuid, resources)
                return try await client.request(
                    .put, "/placement/allocations/\(consumer)", token: token, version: "1.28",
                    body: [
                        "allocations": .object(allocations), "project_id": "p", "user_id": "u",
                        "consumer_generation": generation,
                    ])
            }
            #expect(try await allocate(91, generation: .null).status == 409)
            #expect(try await allocate(90, generation: .null).status == 204)
            #expect(try await allocate(10, generation: .null).status == 409)
            #expect(try await allocate(10, generation: 1).status == 204)
            let usages = try await client.request(.get, "/placement/resource_providers/\(uuid)/usages", token: token)
            #expect(usages.json?["usages"]?["DISK_GB"] == 10)
            let inUse = try await client.request(.delete, "/placement/resource_providers/\(uuid)", token: token)
            #expect(inUse.status == 409)
        }
    }

    @Test func serversHoldAllocationsUntilDeleted() async throws {
        try await withCloud(fakeHosts: 2) { client, _ in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let candidates = try await client.request(
                .get, "/placement/allocation_candidates?resources=VCPU:1,MEMORY_MB:512", token: token,
                version: "1.39")
            #expect(candidates.json?["allocation_requests"]?.arrayValue?.count == 2)
            let id = try await client.createServer(
                "vm", token: token, image: try await client.defaultImage(token: token))
            _ = try await client.waitFor(id, status: "ACTIVE", token: token)
            let held = try await client.request(.get, "/placement/allocations/\(id)", token: token, version: "1.38")
            #expect(held.json?["consumer_type"] == "INSTANCE")
            let resources = held.json?["allocations"]?.objectValue?.entries.first?.1["resources"]
            #expect(resources?["MEMORY_MB"] == 512)
            _ = try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token)
            var remaining: JSON?
            for _ in 0..<100 {
                remaining = try await client.request(.get, "/placement/allocations/\(id)", token: token).json?[
                    "allocations"]
                if remaining == [:] { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(remaining == [:])
        }
    }

    @Test func aDisabledComputeIsLeftOutByPlacement() async throws {
        try await withCloud(fakeHosts: 2) { client, _ in
            let token = try await client.adminToken()
            let service = try await client.firstComputeService(hosts: 2, token: token)
            let id = try #require(service["id"]?.stringValue)
            let disabled = try await client.request(
                .put, "/compute/v2.1/os-services/\(id)", token: token, version: "2.53", body: ["status": "disabled"])
            #expect(disabled.status == 200)
            let candidates = try await client.request(
                .get, "/placement/allocation_candidates?resources=VCPU:1&required=!COMPUTE_STATUS_DISABLED",
                token: token, version: "1.22")
            #expect(candidates.json?["allocation_requests"]?.arrayValue?.count == 1)
        }
    }

    @Test func severalConsumersAtOnceUsagesAndReshaper() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let pool = UUID().uuidString.lowercased()
            _ = try await client.request(
                .post, "/placement/resource_providers", token: token, version: "1.20",
                body: ["name": "pool", "uuid": .string(pool)])
            _ = try await client.request(
                .put, "/placement/resource_providers/\(pool)/inventories", token: token,
                body: ["resource_provider_generation": 0, "inventories": ["DISK_GB": ["total": 100]]])
            func consumers(_ amounts: [Int]) -> (JSON, [String]) {
                var body = JSONObject()
                var ids: [String] = []
                for amount in amounts {
                    let id = UUID().uuidString.lowercased()
                    ids.append(id)
                    var allocations = JSONObject()
                    allocations.append(pool, ["resources": ["DISK_GB": .int(amount)]])
                    body.append(
                        id,
                        [
                            "allocations": .object(allocations), "project_id": "proj", "user_id": "u",
                            "consumer_generation": .null, "consumer_type": "INSTANCE",
                        ])
                }
                return (.object(body), ids)
            }
            let (tooMuch, _) = consumers([60, 60])
            let refused = try await client.request(
                .post, "/placement/allocations", token: token, version: "1.38", body: tooMuch)
            #expect(refused.status == 409)
            let (fits, ids) = consumers([30, 40])
            let stored = try await client.request(
                .post, "/placement/allocations", token: token, version: "1.38", body: fits)
            #expect(stored.status == 204)
            let usages = try await client.request(
                .get, "/placement/usages?project_id=proj", token: token, version: "1.9")
            #expect(usages.json?["usages"]?["DISK_GB"] == 70)
            let byType = try await client.request(
                .get, "/placement/usages?project_id=proj", token: token, version: "1.38")
            #expect(byType.json?["usages"]?["INSTANCE"]?["DISK_GB"] == 70)

            // Reshape: the pool's DISK_GB moves to a child provider, with the allocations.
            let child = UUID().uuidString.lowercased()
            _ = try await client.request(
                .post, "/placement/resource_providers", token: token, version: "1.20",
                body: ["name": "pool-disk", "uuid": .string(child), "parent_provider_uuid": .string(pool)])
            let current = try await client.request(
                .get, "/placement/resource_providers/\(pool)", token: token)
            var inventories = JSONObject()
            inventories.append(
                pool, ["resource_provider_generation": current.json?["generation"] ?? 0, "inventories": [:]])
            inventories.append(child, ["resource_provider_generation": 0, "inventories": ["DISK_GB": ["total": 100]]])
            var moved = JSONObject()
            for (id, amount) in zip(ids, [30, 40]) {
                var allocations = JSONObject()
                allocations.append(child, ["resources": ["DISK_GB": .int(amount)]])
                moved.append(
                    id,
                    [
                        "allocations": .object(allocations), "project_id": "proj", "user_id": "u",
                        "consumer_generation": 1, "consumer_type": "INSTANCE",
                    ])
            }
            let reshape: JSON = ["inventories": .object(inventories), "allocations": .object(moved)]
            // The reshaper is for services alone under the new default policy: an admin without the role is refused.
            let notService = try await client.request(
                .post, "/placement/reshaper", token: token, version: "1.38", body: reshape)
            #expect(notService.status == 403, "\(notService.text)")
            let identity = cloud.identityStore
            let admin = try #require(try await identity.users(name: "admin").first)
            let project = try #require(try await identity.projects(name: "admin").first)
            let role = try #require(try await identity.roles(name: "service").first)
            try await identity.assignRole(userID: admin.id, projectID: project.id, roleID: role.id)
            let reshaped = try await client.request(
                .post, "/placement/reshaper", token: try await client.adminToken(), version: "1.38", body: reshape)
            #expect(reshaped.status == 204, "\(reshaped.text)")
            let childUsage = try await client.request(
                .get, "/placement/resource_providers/\(child)/usages", token: token)
            #expect(childUsage.json?["usages"]?["DISK_GB"] == 70)
            let poolInventory = try await client.request(
                .get, "/placement/resource_providers/\(pool)/inventories", token: token)
            #expect(poolInventory.json?["inventories"] == [:])
        }
    }
}
