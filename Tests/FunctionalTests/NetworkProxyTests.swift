import Foundation
import NovaCore
import NovaTestSupport
import Testing

/// The Compute API's networking proxies below 2.36 and the floating/fixed IP actions below 2.44, through
/// the networking service as the user: Nova's old shapes, Nova's errors, 404 above their last version.
@Suite struct NetworkProxyTests {
    static let compute = "/compute/v2.1"

    @Test func networksPoolsAndFloatingIPsThroughTheComputeAPI() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let networks = try await client.request(.get, Self.compute + "/os-networks", token: demo)
            let labels = networks.json?["networks"]?.arrayValue?.compactMap { $0["label"]?.stringValue } ?? []
            #expect(labels.contains("private") && networks.json?["networks"]?.arrayValue?.first?["cidr"] == .null)
            let tenant = try await client.request(.get, Self.compute + "/os-tenant-networks", token: demo)
            #expect(
                tenant.json?["networks"]?.arrayValue?.contains { $0["label"] == "public" } == false, "\(tenant.text)")
            #expect(
                try await client.request(.get, Self.compute + "/os-networks", token: demo, version: "2.36").status
                    == 404)
            #expect(
                try await client.request(.post, Self.compute + "/os-networks", token: demo, body: ["network": [:]])
                    .status == 410)
            let pools = try await client.request(.get, Self.compute + "/os-floating-ip-pools", token: demo)
            #expect(pools.json?["floating_ip_pools"] == [["name": "public"]], "\(pools.text)")

            let made = try await client.request(
                .post, Self.compute + "/os-floating-ips", token: demo, body: ["pool": "public"])
            let floating = try #require(made.json?["floating_ip"], "\(made.text)")
            #expect(floating["pool"] == "public" && floating["instance_id"] == .null, "\(floating)")
            let address = try #require(floating["ip"]?.stringValue)
            let id = try #require(floating["id"]?.stringValue)
            let unknownPool = try await client.request(
                .post, Self.compute + "/os-floating-ips", token: demo, body: ["pool": "nope"])
            #expect(unknownPool.status == 404 && unknownPool.json?["itemNotFound"] != nil, "\(unknownPool.text)")

            let server = try await client.createServer("p", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let action = Self.compute + "/servers/\(server)/action"
            let added = try await client.request(
                .post, action, token: demo, body: ["addFloatingIp": ["address": .string(address)]])
            #expect(added.status == 202, "\(added.text)")
            let shown = try await client.request(.get, Self.compute + "/os-floating-ips/\(id)", token: demo)
            #expect(shown.json?["floating_ip"]?["instance_id"]?.stringValue == server, "\(shown.text)")
            #expect(
                try await ServerInterfaceTests.eventually {
                    let view = try await client.request(.get, Self.compute + "/servers/\(server)", token: demo)
                    return view.text.contains(address)
                })
            let removed = try await client.request(
                .post, action, token: demo, body: ["removeFloatingIp": ["address": .string(address)]])
            #expect(removed.status == 202, "\(removed.text)")
            let notMine = try await client.request(
                .post, action, token: demo, body: ["removeFloatingIp": ["address": .string(address)]])
            #expect(notMine.status == 409, "\(notMine.text)")
            let tooNew = try await client.request(
                .post, action, token: demo, version: "2.44", body: ["addFloatingIp": ["address": .string(address)]])
            #expect(tooNew.status == 400, "\(tooNew.text)")

            let networkID = try await ServerInterfaceTests.privateNetwork(client, token: demo)
            let fixed = try await client.request(
                .post, action, token: demo, body: ["addFixedIp": ["networkId": .string(networkID)]])
            #expect(fixed.status == 202, "\(fixed.text)")
            let ports = try await client.request(.get, "/networking/v2.0/ports?device_id=\(server)", token: demo)
            let addresses = ports.json?["ports"]?.arrayValue?.first?["fixed_ips"]?.arrayValue ?? []
            #expect(addresses.count == 2, "\(ports.text)")
            let second = try #require(addresses.last?["ip_address"]?.stringValue)
            let dropped = try await client.request(
                .post, action, token: demo, body: ["removeFixedIp": ["address": .string(second)]])
            #expect(dropped.status == 202, "\(dropped.text)")
            #expect(
                try await ServerInterfaceTests.eventually {
                    let view = try await client.request(.get, Self.compute + "/servers/\(server)/ips", token: demo)
                    return view.json?["addresses"]?["private"]?.arrayValue?.count == 1
                })
            #expect(
                try await client.request(.delete, Self.compute + "/os-floating-ips/\(id)", token: demo).status == 202)
            #expect(try await client.request(.get, Self.compute + "/os-floating-ips/\(id)", token: demo).status == 404)
        }
    }

    @Test func securityGroupsThroughTheComputeAPI() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let base = Self.compute + "/os-security-groups"
            let made = try await client.request(
                .post, base, token: demo, body: ["security_group": ["name": "legacy", "description": "old style"]])
            let group = try #require(made.json?["security_group"], "\(made.text)")
            let id = try #require(group["id"]?.stringValue)
            #expect(group["rules"] == [] && group["description"] == "old style", "\(group)")
            let missingName = try await client.request(
                .post, base, token: demo, body: ["security_group": ["description": "x"]])
            #expect(missingName.status == 400)

            let rule = try await client.request(
                .post, Self.compute + "/os-security-group-rules", token: demo,
                body: [
                    "security_group_rule": [
                        "parent_group_id": .string(id), "ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                        "cidr": "10.0.0.0/8",
                    ]
                ])
            let ruleView = try #require(rule.json?["security_group_rule"], "\(rule.text)")
            #expect(ruleView["from_port"] == 22 && ruleView["ip_range"]?["cidr"] == "10.0.0.0/8", "\(ruleView)")
            for bad: JSON in [
                ["parent_group_id": .string(id), "ip_protocol": "tcp", "from_port": 30, "to_port": 20],
                ["parent_group_id": .string(id), "ip_protocol": "gre", "from_port": 1, "to_port": 2],
                ["parent_group_id": .string(id), "ip_protocol": "tcp", "from_port": 70000, "to_port": 70001],
            ] {
                let reply = try await client.request(
                    .post, Self.compute + "/os-security-group-rules", token: demo, body: ["security_group_rule": bad])
                #expect(reply.status == 400, "\(bad) -> \(reply.text)")
            }
            let shown = try await client.request(.get, base + "/\(id)", token: demo)
            #expect(shown.json?["security_group"]?["rules"]?.arrayValue?.count == 1, "\(shown.text)")
            let renamed = try await client.request(
                .put, base + "/\(id)", token: demo, body: ["security_group": ["name": "renamed", "description": "d"]])
            #expect(renamed.json?["security_group"]?["name"] == "renamed", "\(renamed.text)")

            let server = try await client.createServer(
                "g", token: demo, image: image, extra: ["security_groups": [["name": "renamed"]]])
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let ofServer = try await client.request(
                .get, Self.compute + "/servers/\(server)/os-security-groups", token: demo)
            #expect(
                ofServer.json?["security_groups"]?.arrayValue?.map { $0["name"] } == ["renamed"], "\(ofServer.text)")
            // Nova's proxy turns the networking service's 409 into its own 400 (exception.Invalid).
            let inUse = try await client.request(.delete, base + "/\(id)", token: demo)
            #expect(inUse.status == 400, "\(inUse.text)")
            #expect(
                try await client.request(.get, Self.compute + "/os-security-group-default-rules", token: demo).status
                    == 410)
            #expect(try await client.request(.get, base, token: demo, version: "2.36").status == 404)
            let ruleID = try #require(ruleView["id"]?.stringValue)
            #expect(
                try await client.request(.delete, Self.compute + "/os-security-group-rules/\(ruleID)", token: demo)
                    .status == 202)
        }
    }
}
