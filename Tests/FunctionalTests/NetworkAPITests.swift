import Foundation
import NovaCore
import NovaTestSupport
import Testing

/// The networking API (Neutron v2.0 subset) through HTTP, on SQLite and (with NOVA_TEST_POSTGRES_URL) on
/// PostgreSQL: records, addresses, isolation between projects, quotas and Neutron's error bodies.
@Suite struct NetworkAPITests {
    static let base = "/networking/v2.0"

    /// Creates a network with one subnet as `token`'s project; returns (network id, subnet id).
    static func network(_ client: CloudClient, token: String, name: String, cidr: String) async throws
        -> (String, String)
    {
        let network = try await client.request(
            .post, base + "/networks", token: token, body: ["network": ["name": .string(name)]])
        try #require(network.status == 201, "\(network.text)")
        let networkID = try #require(network.json?["network"]?["id"]?.stringValue)
        let subnet = try await client.request(
            .post, base + "/subnets", token: token,
            body: [
                "subnet": [
                    "network_id": .string(networkID), "cidr": .string(cidr), "ip_version": 4,
                    "name": .string(name + "-subnet"),
                ]
            ])
        try #require(subnet.status == 201, "\(subnet.text)")
        return (networkID, try #require(subnet.json?["subnet"]?["id"]?.stringValue))
    }

    static func errorType(_ reply: Reply) -> String? { reply.json?["NeutronError"]?["type"]?.stringValue }

    @Test func firstStartMakesPublicAndPrivateAndProjectsSeeTheirOwn() async throws {
        try await withCloud { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let catalog = try await client.request(.get, "/networking")
            #expect(catalog.json?["versions"]?.arrayValue?.first?["id"] == "v2.0")
            let all = try await client.request(.get, Self.base + "/networks", token: admin)
            let names = all.json?["networks"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(Set(names) == ["public", "private"])
            // The admin project's own network stays hidden from the demo project; public (external) does not.
            _ = try await Self.network(client, token: admin, name: "admin-only", cidr: "192.168.50.0/24")
            let seen = try await client.request(.get, Self.base + "/networks", token: demo)
            let seenNames = Set(seen.json?["networks"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
            #expect(seenNames == ["public", "private"])
            #expect(seen.json?["networks"]?.arrayValue?.first?["provider:network_type"] == nil)
            let adminOnly = try await client.request(.get, Self.base + "/networks?name=admin-only", token: admin)
            let hiddenID = try #require(adminOnly.json?["networks"]?.arrayValue?.first?["id"]?.stringValue)
            let hidden = try await client.request(.get, Self.base + "/networks/\(hiddenID)", token: demo)
            #expect(hidden.status == 404 && Self.errorType(hidden) == "NetworkNotFound", "\(hidden.text)")
            let refused = try await client.request(
                .post, Self.base + "/networks", token: demo, body: ["network": ["name": "x", "shared": true]])
            #expect(refused.status == 403 && Self.errorType(refused) == "PolicyNotAuthorized", "\(refused.text)")
            let unknown = try await client.request(
                .post, Self.base + "/networks", token: demo, body: ["network": ["name": "x", "colour": "red"]])
            #expect(unknown.status == 400 && Self.errorType(unknown) == "HTTPBadRequest", "\(unknown.text)")
        }
    }

    @Test func addressesAreCheckedAndNeverGivenTwice() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let (networkID, subnetID) = try await Self.network(client, token: demo, name: "n", cidr: "10.20.0.0/24")
            let overlap = try await client.request(
                .post, Self.base + "/subnets", token: demo,
                body: ["subnet": ["network_id": .string(networkID), "cidr": "10.20.0.128/25", "ip_version": 4]])
            #expect(overlap.status == 400 && Self.errorType(overlap) == "InvalidInput", "\(overlap.text)")
            func port(_ fixed: JSON?) async throws -> Reply {
                var body: JSONObject = ["network_id": .string(networkID)]
                if let fixed { body["fixed_ips"] = fixed }
                return try await client.request(.post, Self.base + "/ports", token: demo, body: ["port": .object(body)])
            }
            let chosen = try await port([["subnet_id": .string(subnetID), "ip_address": "10.20.0.50"]])
            #expect(chosen.status == 201, "\(chosen.text)")
            #expect(chosen.json?["port"]?["fixed_ips"]?.arrayValue?.first?["ip_address"] == "10.20.0.50")
            #expect(chosen.json?["port"]?["mac_address"]?.stringValue?.hasPrefix("fa:16:3e:") == true)
            #expect(chosen.json?["port"]?["status"] == "DOWN")
            #expect(chosen.json?["port"]?["security_groups"]?.arrayValue?.count == 1)
            let twice = try await port([["ip_address": "10.20.0.50"]])
            #expect(twice.status == 409 && Self.errorType(twice) == "IpAddressAlreadyAllocated", "\(twice.text)")
            let outside = try await port([["subnet_id": .string(subnetID), "ip_address": "10.99.0.5"]])
            #expect(outside.status == 400 && Self.errorType(outside) == "InvalidIpForSubnet", "\(outside.text)")
            // Eight concurrent creates: eight different addresses.
            let addresses = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await port(nil).json?["port"]?["fixed_ips"]?.arrayValue?.first?["ip_address"]?.stringValue
                    }
                }
                return try await group.reduce(into: [String]()) { if let address = $1 { $0.append(address) } }
            }
            #expect(addresses.count == 8 && Set(addresses).count == 8, "\(addresses)")
            #expect(!addresses.contains("10.20.0.50") && !addresses.contains("10.20.0.1"))
            let listed = try await client.request(
                .get, Self.base + "/ports?network_id=\(networkID)&fields=id&fields=fixed_ips", token: demo)
            #expect(listed.json?["ports"]?.arrayValue?.count == 9)
            #expect(listed.json?["ports"]?.arrayValue?.first?["mac_address"] == nil)
            let page = try await client.request(.get, Self.base + "/ports?network_id=\(networkID)&limit=4", token: demo)
            #expect(page.json?["ports"]?.arrayValue?.count == 4)
            #expect(page.json?["ports_links"]?.arrayValue?.first?["rel"] == "next")
        }
    }

    @Test func anExhaustedSubnetAnswers409AndKeepsNothing() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            // A /29: .1 is the gateway, .2-.6 the pool.
            let (networkID, _) = try await Self.network(client, token: demo, name: "tiny", cidr: "10.30.0.0/29")
            for _ in 0..<5 {
                let reply = try await client.request(
                    .post, Self.base + "/ports", token: demo, body: ["port": ["network_id": .string(networkID)]])
                #expect(reply.status == 201, "\(reply.text)")
            }
            let full = try await client.request(
                .post, Self.base + "/ports", token: demo, body: ["port": ["network_id": .string(networkID)]])
            #expect(full.status == 409 && Self.errorType(full) == "IpAddressGenerationFailure", "\(full.text)")
            let ports = try await client.request(.get, Self.base + "/ports?network_id=\(networkID)", token: demo)
            #expect(ports.json?["ports"]?.arrayValue?.count == 5)
            let inUse = try await client.request(.delete, Self.base + "/networks/\(networkID)", token: demo)
            #expect(inUse.status == 409 && Self.errorType(inUse) == "NetworkInUse", "\(inUse.text)")
        }
    }

    @Test func securityGroupsQuotasAndBinding() async throws {
        try await withCloud { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let groups = try await client.request(.get, Self.base + "/security-groups", token: demo)
            let defaultGroup = try #require(groups.json?["security_groups"]?.arrayValue?.first)
            #expect(defaultGroup["name"] == "default")
            #expect(defaultGroup["security_group_rules"]?.arrayValue?.count == 4)
            let made = try await client.request(
                .post, Self.base + "/security-groups", token: demo, body: ["security_group": ["name": "web"]])
            let groupID = try #require(made.json?["security_group"]?["id"]?.stringValue)
            let ruleBody: JSON = [
                "security_group_rule": [
                    "security_group_id": .string(groupID), "direction": "ingress", "protocol": "tcp",
                    "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0",
                ]
            ]
            let rule = try await client.request(.post, Self.base + "/security-group-rules", token: demo, body: ruleBody)
            #expect(rule.status == 201, "\(rule.text)")
            let again = try await client.request(
                .post, Self.base + "/security-group-rules", token: demo, body: ruleBody)
            #expect(again.status == 409 && Self.errorType(again) == "SecurityGroupRuleExists")
            let badPorts = try await client.request(
                .post, Self.base + "/security-group-rules", token: demo,
                body: [
                    "security_group_rule": [
                        "security_group_id": .string(groupID), "direction": "ingress", "protocol": "tcp",
                        "port_range_min": 99, "port_range_max": 22,
                    ]
                ])
            #expect(badPorts.status == 400, "\(badPorts.text)")
            let demoProject = try #require(
                groups.json?["security_groups"]?.arrayValue?.first?["project_id"]?.stringValue)
            let (networkID, _) = try await Self.network(client, token: demo, name: "q", cidr: "10.40.0.0/24")
            let port = try await client.request(
                .post, Self.base + "/ports", token: demo,
                body: ["port": ["network_id": .string(networkID), "security_groups": [.string(groupID)]]])
            let portID = try #require(port.json?["port"]?["id"]?.stringValue)
            let inUse = try await client.request(.delete, Self.base + "/security-groups/\(groupID)", token: demo)
            #expect(inUse.status == 409 && Self.errorType(inUse) == "SecurityGroupInUse")
            // Only an admin (or the compute service) binds; the noop driver makes a bound port ACTIVE.
            let memberBind = try await client.request(
                .put, Self.base + "/ports/\(portID)", token: demo, body: ["port": ["binding:host_id": "fake-1"]])
            #expect(memberBind.status == 403)
            let bound = try await client.request(
                .put, Self.base + "/ports/\(portID)", token: admin,
                body: ["port": ["binding:host_id": "fake-1", "device_id": "vm-1", "device_owner": "compute:nova"]])
            #expect(bound.json?["port"]?["status"] == "ACTIVE", "\(bound.text)")
            #expect(bound.json?["port"]?["binding:vif_type"] == "other")
            let byDevice = try await client.request(.get, Self.base + "/ports?device_id=vm-1", token: demo)
            #expect(byDevice.json?["ports"]?.arrayValue?.count == 1)
            // Quotas: the demo project may have one more port, then 409 OverQuota (router1's interface on
            // private is one of its ports too).
            let before = try await client.request(.get, Self.base + "/quotas/\(demoProject)/details", token: demo)
            let used = try #require(before.json?["quota"]?["port"]?["used"]?.intValue)
            #expect(used == 2, "\(before.text)")
            let quota = try await client.request(
                .put, Self.base + "/quotas/\(demoProject)", token: admin, body: ["quota": ["port": .int(used + 1)]])
            #expect(quota.json?["quota"]?["port"] == .int(used + 1), "\(quota.text)")
            let second = try await client.request(
                .post, Self.base + "/ports", token: demo, body: ["port": ["network_id": .string(networkID)]])
            #expect(second.status == 201)
            let over = try await client.request(
                .post, Self.base + "/ports", token: demo, body: ["port": ["network_id": .string(networkID)]])
            #expect(over.status == 409 && Self.errorType(over) == "OverQuota", "\(over.text)")
            let details = try await client.request(.get, Self.base + "/quotas/\(demoProject)/details", token: demo)
            #expect(details.json?["quota"]?["port"]?["used"] == .int(used + 1))
            let hugeQuota = try await client.request(
                .put, Self.base + "/quotas/\(demoProject)", token: admin, body: ["quota": ["port": .double(1e300)]])
            #expect(hugeQuota.status == 400)
        }
    }

    /// Neutron keeps a rule's remote prefix as given and clears the host bits in `normalized_cidr` (the same
    /// traffic is the same rule); deleting a group deletes the other groups' rules that name it as remote.
    @Test func remotePrefixesAndRemoteGroupsOfRules() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            func group(_ name: String) async throws -> String {
                let made = try await client.request(
                    .post, Self.base + "/security-groups", token: demo,
                    body: ["security_group": ["name": .string(name)]])
                return try #require(made.json?["security_group"]?["id"]?.stringValue, "\(made.text)")
            }
            let web = try await group("web")
            let peers = try await group("peers")
            func rule(_ fields: JSONObject) async throws -> Reply {
                var body: JSONObject = ["security_group_id": .string(web), "direction": "ingress", "protocol": "tcp"]
                for (key, value) in fields.entries { body[key] = value }
                return try await client.request(
                    .post, Self.base + "/security-group-rules", token: demo,
                    body: ["security_group_rule": .object(body)])
            }
            let prefixed = try await rule(["remote_ip_prefix": "10.2.3.124/24"])
            #expect(prefixed.json?["security_group_rule"]?["remote_ip_prefix"] == "10.2.3.124/24", "\(prefixed.text)")
            #expect(prefixed.json?["security_group_rule"]?["normalized_cidr"] == "10.2.3.0/24")
            #expect(try await rule(["remote_ip_prefix": "10.2.3.0/24"]).status == 409)
            let remote = try await rule(["remote_group_id": .string(peers), "port_range_min": 22, "port_range_max": 22])
            let remoteRule = try #require(remote.json?["security_group_rule"]?["id"]?.stringValue, "\(remote.text)")
            #expect(
                try await client.request(.delete, Self.base + "/security-groups/\(peers)", token: demo).status == 204)
            let gone = try await client.request(.get, Self.base + "/security-group-rules/\(remoteRule)", token: demo)
            #expect(gone.status == 404, "\(gone.text)")
        }
    }

    @Test func floatingIPsNeedARouterToTheirNetwork() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let (networkID, subnetID) = try await Self.network(client, token: demo, name: "r", cidr: "10.60.0.0/24")
            let port = try await client.request(
                .post, Self.base + "/ports", token: demo, body: ["port": ["network_id": .string(networkID)]])
            let portID = try #require(port.json?["port"]?["id"]?.stringValue)
            let publicID = try #require(
                try await client.request(.get, Self.base + "/networks?name=public", token: demo).json?["networks"]?
                    .arrayValue?.first?["id"]?.stringValue)
            let unreachable = try await client.request(
                .post, Self.base + "/floatingips", token: demo,
                body: ["floatingip": ["floating_network_id": .string(publicID), "port_id": .string(portID)]])
            #expect(
                unreachable.status == 404 && Self.errorType(unreachable) == "ExternalGatewayForFloatingIPNotFound",
                "\(unreachable.text)")
            let notExternal = try await client.request(
                .post, Self.base + "/floatingips", token: demo,
                body: ["floatingip": ["floating_network_id": .string(networkID)]])
            #expect(notExternal.status == 400, "\(notExternal.text)")
            let router = try await client.request(
                .post, Self.base + "/routers", token: demo,
                body: ["router": ["name": "r1", "external_gateway_info": ["network_id": .string(publicID)]]])
            let routerID = try #require(router.json?["router"]?["id"]?.stringValue, "\(router.text)")
            let added = try await client.request(
                .put, Self.base + "/routers/\(routerID)/add_router_interface", token: demo,
                body: ["subnet_id": .string(subnetID)])
            #expect(added.status == 200 && added.json?["subnet_id"]?.stringValue == subnetID, "\(added.text)")
            let mapped = try await client.request(
                .post, Self.base + "/floatingips", token: demo,
                body: ["floatingip": ["floating_network_id": .string(publicID), "port_id": .string(portID)]])
            #expect(mapped.status == 201 && mapped.json?["floatingip"]?["router_id"]?.stringValue == routerID)
            #expect(mapped.json?["floatingip"]?["status"] == "ACTIVE", "\(mapped.text)")
            let inUse = try await client.request(.delete, Self.base + "/networks/\(networkID)", token: demo)
            #expect(inUse.status == 409, "\(inUse.text)")
            let busy = try await client.request(.delete, Self.base + "/routers/\(routerID)", token: demo)
            #expect(busy.status == 409 && Self.errorType(busy) == "RouterInUse", "\(busy.text)")
            // Deleting the port leaves the floating IP, unmapped.
            let floatingID = try #require(mapped.json?["floatingip"]?["id"]?.stringValue)
            _ = try await client.request(.delete, Self.base + "/ports/\(portID)", token: demo)
            let after = try await client.request(.get, Self.base + "/floatingips/\(floatingID)", token: demo)
            #expect(after.json?["floatingip"]?["port_id"] == .null && after.json?["floatingip"]?["status"] == "DOWN")
        }
    }
}
