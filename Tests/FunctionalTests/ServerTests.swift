import Foundation
import HTTPTypes
import NovaCore
import NovaTestSupport
import Testing

@Suite struct ServerLifecycleTests {
    @Test func aServerGoesThroughItsLifecycle() async throws {
        try await withCloud { client, _ in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let image = try await client.defaultImage(token: token)
            let create = try await client.request(
                .post, "/compute/v2.1/servers", token: token, version: "2.96",
                body: ["server": ["name": "vm1", "flavorRef": "1", "imageRef": .string(image), "networks": "none"]])
            #expect(create.status == 202)
            let id = try #require(create.json?["server"]?["id"]?.stringValue)
            #expect(create.headers[.location]?.hasSuffix("/compute/v2.1/servers/\(id)") == true)
            #expect(create.json?["server"]?["adminPass"]?.stringValue?.isEmpty == false)

            let active = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(active["OS-EXT-STS:power_state"]?.intValue == 1)
            #expect(active["OS-EXT-SRV-ATTR:host"]?.stringValue?.hasPrefix("fake-") == true)
            #expect(active["OS-SRV-USG:launched_at"]?.stringValue != nil)

            let action = { (body: JSON) in
                try await client.request(.post, "/compute/v2.1/servers/\(id)/action", token: token, body: body)
            }
            #expect(try await action(["os-stop": .null]).status == 202)
            let stopped = try await client.waitFor(id, status: "SHUTOFF", token: token)
            #expect(stopped["OS-EXT-STS:power_state"]?.intValue == 4)
            let conflict = try await action(["os-stop": .null])
            #expect(conflict.status == 409)
            #expect(
                conflict.json?["conflictingRequest"]?["message"]?.stringValue
                    == "Cannot 'stop' instance \(id) while it is in vm_state stopped")
            #expect(try await action(["os-start": .null]).status == 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(try await action(["reboot": ["type": "SOFT"]]).status == 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(try await action(["reboot": ["type": "sideways"]]).status == 400)
            #expect(try await action(["pause": .null]).status == 202)
            try await client.waitFor(id, status: "PAUSED", token: token)
            #expect(try await action(["suspend": .null]).status == 409)
            #expect(try await action(["unpause": .null]).status == 202)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(try await action(["no-such-thing": .null]).status == 400)

            let events = try await client.request(.get, "/compute/v2.1/servers/\(id)/os-instance-actions", token: token)
            let names = events.json?["instanceActions"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
            #expect(names == ["unpause", "pause", "reboot", "start", "stop", "create"])

            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token).status == 204)
            var gone = 0
            for _ in 0..<100 where gone != 404 {
                gone = try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token).status
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(gone == 404)
            let missing = try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token)
            #expect(missing.json?["itemNotFound"]?["message"]?.stringValue == "Instance \(id) could not be found.")
        }
    }

    @Test func fieldsAppearFromTheirMicroversion() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let id = try await client.createServer(
                "vm", token: token, image: try await client.defaultImage(token: token))
            try await client.waitFor(id, status: "ACTIVE", token: token)
            func show(_ version: String) async throws -> JSON {
                try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token, version: version).json?[
                    "server"] ?? .null
            }
            let v21 = try await show("2.1")
            #expect(v21["locked"] == nil && v21["description"] == nil && v21["tags"] == nil)
            #expect(v21["OS-EXT-SRV-ATTR:hostname"] == nil)
            #expect(v21["flavor"]?["id"] == "1")
            #expect(try await show("2.9")["locked"] == false)
            #expect(try await show("2.19")["description"] == .null)
            #expect(try await show("2.26")["tags"] == [])
            let v247 = try await show("2.47")
            #expect(v247["flavor"]?["original_name"] == "m1.tiny")
            #expect(v247["flavor"]?["id"] == nil)
            #expect(try await show("2.73")["locked_reason"] == .null)
            #expect(try await show("2.71")["server_groups"] == [])
            let services = try await client.request(.get, "/compute/v2.1/os-services", token: token, version: "2.52")
            #expect(services.json?["services"]?.arrayValue?.first?["id"]?.intValue != nil)
            let uuids = try await client.request(.get, "/compute/v2.1/os-services", token: token, version: "2.53")
            #expect(uuids.json?["services"]?.arrayValue?.first?["id"]?.stringValue?.count == 36)
        }
    }

    @Test func listsPageWithLimitAndMarker() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let image = try await client.defaultImage(token: token)
            _ = try await client.createServer(
                "many", token: token, image: image, extra: ["min_count": 3, "max_count": 3])
            let all = try await client.request(.get, "/compute/v2.1/servers", token: token)
            let names = all.json?["servers"]?.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted()
            #expect(names == ["many-1", "many-2", "many-3"])
            let first = try await client.request(.get, "/compute/v2.1/servers/detail?limit=2", token: token)
            #expect(first.json?["servers"]?.arrayValue?.count == 2)
            let next = try #require(first.json?["servers_links"]?.arrayValue?.first?["href"]?.stringValue)
            #expect(next.contains("limit=2") && next.contains("marker="))
            let path = try #require(next.range(of: "/compute/v2.1/")).lowerBound
            let second = try await client.request(.get, String(next[path...]), token: token)
            #expect(second.json?["servers"]?.arrayValue?.count == 1)
            #expect(second.json?["servers_links"] == nil)
            let bad = try await client.request(.get, "/compute/v2.1/servers?marker=nope", token: token)
            #expect(bad.status == 400)
            #expect(bad.json?["badRequest"]?["message"] == "marker [nope] not found")
            let strict = try await client.request(.get, "/compute/v2.1/servers?bogus=1", token: token, version: "2.75")
            #expect(strict.status == 400)
        }
    }
}

@Suite struct NetworkTests {
    static let ports = "/networking/v2.0/ports"

    /// Servers get ports from the networking service: "auto" is the project's network (get-me-a-network when it
    /// has none), "none" none; Nova's ports go with the server.
    @Test func serversGetPortsOnTheirProjectsNetwork() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let first = try await client.createServer(
                "a", token: demo, image: image, extra: ["networks": "auto"], version: "2.37")
            let server = try await client.waitFor(first, status: "ACTIVE", token: demo)
            let address = server["addresses"]?["private"]?.arrayValue?.first
            #expect(address?["addr"] == "10.0.0.2", "\(server)")
            #expect(address?["version"]?.intValue == 4)
            #expect(address?["OS-EXT-IPS:type"] == "fixed")
            let ports = try await client.request(.get, Self.ports + "?device_id=\(first)", token: demo)
            let port = try #require(ports.json?["ports"]?.arrayValue?.first)
            #expect(port["status"] == "ACTIVE" && port["device_owner"] == "compute:nova", "\(port)")
            #expect(address?["OS-EXT-IPS-MAC:mac_addr"] == port["mac_address"])
            let none = try await client.createServer(
                "b", token: demo, image: image, extra: ["networks": "none"], version: "2.37")
            #expect(try await client.waitFor(none, status: "ACTIVE", token: demo)["addresses"] == .object([:]))
            let second = try await client.createServer("c", token: demo, image: image)
            let third = try await client.waitFor(second, status: "ACTIVE", token: demo)
            #expect(third["addresses"]?["private"]?.arrayValue?.first?["addr"] == "10.0.0.3")
            let filtered = try await client.request(.get, "/compute/v2.1/servers?ip=10%5C.0%5C.0%5C.3$", token: demo)
            #expect(filtered.json?["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [second])

            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(first)", token: demo).status == 204)
            for _ in 0..<100
            where try await client.request(.get, "/compute/v2.1/servers/\(first)", token: demo).status != 404 {
                try await Task.sleep(for: .milliseconds(50))
            }
            let gone = try await client.request(.get, Self.ports + "?device_id=\(first)", token: demo)
            #expect(gone.json?["ports"]?.arrayValue?.isEmpty == true, "\(gone.text)")

            // The admin project has no network of its own: "auto" makes one (get-me-a-network); no networks
            // at all before 2.37 boots without one.
            let admin = try await client.adminToken()
            let auto = try await client.createServer(
                "d", token: admin, image: image, extra: ["networks": "auto"], version: "2.37")
            let allocated = try await client.waitFor(auto, status: "ACTIVE", token: admin)
            #expect(allocated["addresses"]?["auto_allocated_network"] != nil, "\(allocated)")
        }
    }

    @Test func requestedNetworksAndPortsAreCheckedAndPortsTheUserMadeAreKept() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let (networkID, _) = try await NetworkAPITests.network(
                client, token: demo, name: "second", cidr: "10.70.0.0/24")
            let ambiguous = try await client.request(
                .post, "/compute/v2.1/servers", token: demo, version: "2.37",
                body: ["server": ["name": "x", "flavorRef": "1", "imageRef": .string(image), "networks": "auto"]])
            #expect(ambiguous.status == 409, "\(ambiguous.text)")
            let missing = try await client.request(
                .post, "/compute/v2.1/servers", token: demo,
                body: [
                    "server": [
                        "name": "x", "flavorRef": "1", "imageRef": .string(image),
                        "networks": [["uuid": "00000000-0000-0000-0000-000000000000"]],
                    ]
                ])
            #expect(missing.status == 400, "\(missing.text)")
            let chosen = try await client.createServer(
                "fixed", token: demo, image: image,
                extra: ["networks": [["uuid": .string(networkID), "fixed_ip": "10.70.0.77"]]])
            let fixed = try await client.waitFor(chosen, status: "ACTIVE", token: demo)
            #expect(fixed["addresses"]?["second"]?.arrayValue?.first?["addr"] == "10.70.0.77", "\(fixed)")

            let made = try await client.request(
                .post, Self.ports, token: demo, body: ["port": ["network_id": .string(networkID), "name": "mine"]])
            let portID = try #require(made.json?["port"]?["id"]?.stringValue)
            let withPort = try await client.createServer(
                "port", token: demo, image: image, extra: ["networks": [["port": .string(portID)]]])
            let built = try await client.waitFor(withPort, status: "ACTIVE", token: demo)
            let portAddress = made.json?["port"]?["fixed_ips"]?.arrayValue?.first?["ip_address"]
            #expect(built["addresses"]?["second"]?.arrayValue?.first?["addr"] == portAddress, "\(built)")
            let inUse = try await client.request(
                .post, "/compute/v2.1/servers", token: demo,
                body: [
                    "server": [
                        "name": "x", "flavorRef": "1", "imageRef": .string(image),
                        "networks": [["port": .string(portID)]],
                    ]
                ])
            #expect(inUse.status == 409, "\(inUse.text)")
            _ = try await client.request(.delete, "/compute/v2.1/servers/\(withPort)", token: demo)
            for _ in 0..<100
            where try await client.request(.get, "/compute/v2.1/servers/\(withPort)", token: demo).status != 404 {
                try await Task.sleep(for: .milliseconds(50))
            }
            let kept = try await client.request(.get, Self.ports + "/\(portID)", token: demo)
            #expect(kept.status == 200 && kept.json?["port"]?["device_id"] == "", "\(kept.text)")
            #expect(kept.json?["port"]?["status"] == "DOWN")
        }
    }
}

@Suite struct PolicyAndQuotaTests {
    @Test func membersSeeTheirOwnProjectOnly() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let mine = try await client.createServer("mine", token: demo, image: image)
            let theirs = try await client.createServer("theirs", token: admin, image: image)
            let list = try await client.request(.get, "/compute/v2.1/servers", token: demo)
            #expect(list.json?["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [mine])
            #expect(try await client.request(.get, "/compute/v2.1/servers/\(theirs)", token: demo).status == 404)
            let allTenants = try await client.request(.get, "/compute/v2.1/servers?all_tenants=1", token: admin)
            #expect(allTenants.json?["servers"]?.arrayValue?.count == 2)
            for (method, path) in [
                (HTTPRequest.Method.get, "/compute/v2.1/os-services"), (.get, "/compute/v2.1/os-hypervisors"),
                (.get, "/compute/v2.1/servers?all_tenants=1"),
            ] {
                let refused = try await client.request(method, path, token: demo)
                #expect(refused.status == 403)
                #expect(refused.json?["forbidden"]?["code"]?.intValue == 403)
            }
            let reset = try await client.request(
                .post, "/compute/v2.1/servers/\(mine)/action", token: demo, body: ["os-resetState": ["state": "error"]])
            #expect(reset.status == 403)
            let flavor = try await client.request(
                .post, "/compute/v2.1/flavors", token: demo,
                body: ["flavor": ["name": "x", "ram": 1, "vcpus": 1, "disk": 0]])
            #expect(flavor.status == 403)
        }
    }

    @Test func quotaIsEnforcedOnCreate() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let project = try #require(try await cloud.identityStore.projects(name: "demo").first?.id)
            let set = try await client.request(
                .put, "/compute/v2.1/os-quota-sets/\(project)", token: admin, body: ["quota_set": ["instances": 1]])
            #expect(set.json?["quota_set"]?["instances"]?.intValue == 1)
            let image = try await client.defaultImage(token: demo)
            _ = try await client.createServer("one", token: demo, image: image)
            let two = try await client.request(
                .post, "/compute/v2.1/servers", token: demo,
                body: ["server": ["name": "two", "flavorRef": "1", "imageRef": .string(image)]])
            #expect(two.status == 403)
            #expect(two.json?["forbidden"]?["message"]?.stringValue?.hasPrefix("Quota exceeded for instances") == true)
            let detail = try await client.request(.get, "/compute/v2.1/os-quota-sets/\(project)/detail", token: demo)
            #expect(detail.json?["quota_set"]?["instances"]?["in_use"]?.intValue == 1)
        }
    }

    @Test func concurrentCreatesCannotTogetherPassTheQuota() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let project = try #require(try await cloud.identityStore.projects(name: "admin").first?.id)
            _ = try await client.request(
                .put, "/compute/v2.1/os-quota-sets/\(project)", token: admin, body: ["quota_set": ["instances": 3]])
            let image = try await client.defaultImage(token: admin)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await client.request(
                            .post, "/compute/v2.1/servers", token: admin,
                            body: [
                                "server": [
                                    "name": .string("racer\(index)"), "flavorRef": "1", "imageRef": .string(image),
                                ]
                            ]
                        ).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 202 }.count == 3)
            #expect(statuses.filter { $0 == 403 }.count == 5)
            let list = try await client.request(.get, "/compute/v2.1/servers", token: admin)
            #expect(list.json?["servers"]?.arrayValue?.count == 3)
        }
    }

    @Test func badInputIsRefusedAndStoresNothing() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let image = try await client.defaultImage(token: token)
            let cases: [(JSON?, [UInt8]?, String)] = [
                (
                    ["server": ["name": "x", "flavorRef": "999", "imageRef": .string(image)]], nil,
                    "Flavor 999 could not be found."
                ),
                (
                    ["server": ["name": "x", "flavorRef": "1", "imageRef": "nope"]], nil,
                    "Image nope could not be found."
                ),
                (["server": ["name": " x", "flavorRef": "1", "imageRef": .string(image)]], nil, ""),
                (["server": ["name": "x", "flavorRef": "1", "imageRef": .string(image), "min_count": 0]], nil, ""),
                (
                    ["server": ["name": "x", "flavorRef": "1", "imageRef": .string(image), "key_name": "none"]], nil,
                    "Invalid key_name provided."
                ),
                (["server": ["name": "x", "flavorRef": "1", "imageRef": .string(image), "surprise": 1]], nil, ""),
                (nil, Array("{not json".utf8), "Malformed request body"),
            ]
            for (body, raw, message) in cases {
                let reply = try await client.request(
                    .post, "/compute/v2.1/servers", token: token, body: body, rawBody: raw)
                #expect(reply.status == 400, "\(reply.text)")
                if !message.isEmpty { #expect(reply.json?["badRequest"]?["message"]?.stringValue == message) }
            }
            let list = try await client.request(.get, "/compute/v2.1/servers", token: token)
            #expect(list.json?["servers"] == [])
        }
    }

    @Test func noValidHostSaysWhy() async throws {
        try await withCloud(fakeHosts: 2, hostResources: Resources(vcpus: 4, memoryMB: 4096, diskGB: 100)) {
            client, _ in
            let token = try await client.adminToken()
            try await client.waitForHosts(2, token: token)
            let id = try await client.createServer(
                "big", token: token, flavor: "4", image: try await client.defaultImage(token: token))
            let server = try await client.waitFor(id, status: "ERROR", token: token)
            #expect(server["fault"]?["code"]?.intValue == 500)
            #expect(
                server["fault"]?["message"]?.stringValue
                    == "No valid host was found. Out of 2 host(s): Placement: 2 lacked MEMORY_MB:8192.")
        }
    }

    @Test func disabledHostsAreNotScheduled() async throws {
        try await withCloud(fakeHosts: 2) { client, _ in
            let token = try await client.adminToken()
            let first = try await client.firstComputeService(hosts: 2, token: token)
            let disabled = try await client.request(
                .put, "/compute/v2.1/os-services/\(first["id"]!.stringValue!)", token: token, version: "2.53",
                body: ["status": "disabled", "disabled_reason": "maintenance"])
            #expect(disabled.json?["service"]?["status"] == "disabled")
            try await client.expectServersAvoid(host: first["host"], count: 3, token: token)
        }
    }
}

@Suite struct PersistenceTests {
    @Test func anOperationInterruptedByARestartIsFinishedByTheComputeHost() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nova-resume-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id = try await withCloud(dataDirectory: directory, fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let id = try await client.createServer(
                "busy", token: token, image: try await client.defaultImage(token: token))
            try await client.waitFor(id, status: "ACTIVE", token: token)
            // The API accepted a stop (task_state set) and the process ended before compute carried it out.
            try await cloud.computeStore.mutateInstance(uuid: id) { $0.taskState = .poweringOff }
            return id
        }
        try await withCloud(dataDirectory: directory, fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let server = try await client.waitFor(id, status: "SHUTOFF", token: token)
            #expect(server["OS-EXT-STS:task_state"] == .null)
            #expect(server["OS-EXT-STS:power_state"]?.intValue == 4)
        }
    }

    @Test func aBuildInterruptedBeforeSchedulingIsScheduledAgainAfterARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nova-interrupt-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id = UUID().uuidString.lowercased()
        try await withCloud(dataDirectory: directory, fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let image = try await client.defaultImage(token: token)
            let project = try #require(try await cloud.identityStore.projects(name: "admin").first?.id)
            // As the API stores it, with the process gone before the conductor saw it.
            let instance = Instance(
                uuid: id, displayName: "orphan", projectID: project, userID: "u", flavor: Flavor.defaults[0],
                imageRef: image, createdAt: Date(), reservationID: "r-1")
            try await cloud.computeStore.createInstances([instance], actions: [])
        }
        try await withCloud(dataDirectory: directory, fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["OS-EXT-STS:task_state"] == .null)
            #expect(server["fault"] == nil)
        }
    }

    @Test func aRestartKeepsEverything() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nova-restart-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id = try await withCloud(dataDirectory: directory, fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let id = try await client.createServer(
                "keeper", token: token, image: try await client.defaultImage(token: token))
            try await client.waitFor(id, status: "ACTIVE", token: token)
            return id
        }
        try await withCloud(dataDirectory: directory, fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["name"] == "keeper")
            let stop = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: token, body: ["os-stop": .null])
            #expect(stop.status == 202)
            try await client.waitFor(id, status: "SHUTOFF", token: token)
        }
    }
}
