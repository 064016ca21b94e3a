import Foundation
import NovaCore
import NovaTestSupport
import Testing

/// Nova's side of networking past the build: os-interface, server events from the networking service
/// (network-vif-plugged waited for, network-changed refreshing addresses), floating IPs in `addresses`,
/// security groups by name.
@Suite struct ServerInterfaceTests {
    static let networking = "/networking/v2.0"

    static func privateNetwork(_ client: CloudClient, token: String) async throws -> String {
        let reply = try await client.request(.get, networking + "/networks?name=private", token: token)
        return try #require(reply.json?["networks"]?.arrayValue?.first?["id"]?.stringValue, "\(reply.text)")
    }

    static func port(_ client: CloudClient, token: String, _ id: String) async throws -> JSON? {
        try await client.request(.get, networking + "/ports/\(id)", token: token).json?["port"]
    }

    static func newPort(_ client: CloudClient, token: String, network: String, up: Bool = true) async throws
        -> String
    {
        let reply = try await client.request(
            .post, networking + "/ports", token: token,
            body: ["port": ["network_id": .string(network), "admin_state_up": .bool(up)]])
        try #require(reply.status == 201, "\(reply.text)")
        return try #require(reply.json?["port"]?["id"]?.stringValue)
    }

    /// Polls `body` until it is true (about 5 s).
    static func eventually(_ body: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await body() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// A build waits for network-vif-plugged of a port that is not up: the port coming up (the networking
    /// service sends the event) lets it finish; no event within vif_plugging_timeout fails it, and the
    /// user's port is kept, unbound.
    @Test func buildsWaitForTheirPortsToComeUp() async throws {
        try await withCloud(fakeHosts: 1, configure: { $0.vifPluggingTimeout = 2 }) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let admin = try await client.adminToken()
            let image = try await client.defaultImage(token: demo)
            let network = try await Self.privateNetwork(client, token: demo)

            let late = try await Self.newPort(client, token: demo, network: network, up: false)
            let waiting = try await client.createServer(
                "waits", token: demo, image: image, extra: ["networks": [["port": .string(late)]]])
            #expect(
                try await Self.eventually {
                    try await Self.port(client, token: admin, late)?["binding:host_id"]?.stringValue?.isEmpty == false
                })
            let building = try await client.request(.get, "/compute/v2.1/servers/\(waiting)", token: demo)
            #expect(building.json?["server"]?["status"] == "BUILD", "\(building.text)")
            let up = try await client.request(
                .put, Self.networking + "/ports/\(late)", token: demo, body: ["port": ["admin_state_up": true]])
            #expect(up.json?["port"]?["status"] == "ACTIVE", "\(up.text)")
            try await client.waitFor(waiting, status: "ACTIVE", token: demo)

            let never = try await Self.newPort(client, token: demo, network: network, up: false)
            let failing = try await client.createServer(
                "fails", token: demo, image: image, extra: ["networks": [["port": .string(never)]]])
            let failed = try await client.waitFor(failing, status: "ERROR", token: demo)
            #expect(
                failed["fault"]?["message"]?.stringValue?.contains("Virtual Interface creation failed") == true,
                "\(failed)")
            let kept = try await Self.port(client, token: admin, never)
            #expect(kept?["device_id"] == "" && kept?["binding:host_id"] == "", "\(kept?.serialized() ?? "")")
        }
    }

    @Test func externalEventsAreCheckedAndAnsweredPerServer() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let admin = try await client.adminToken()
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("e", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let path = "/compute/v2.1/os-server-external-events"
            let event: JSON = ["name": "network-changed", "server_uuid": .string(server)]
            #expect(try await client.request(.post, path, token: demo, body: ["events": [event]]).status == 403)
            for bad: JSON in [
                ["events": []], ["events": [["name": "reboot", "server_uuid": .string(server)]]],
                ["events": [["name": "network-changed"]]], ["events": "x"],
                ["events": [["name": "network-changed", "server_uuid": .string(server), "status": "done"]]],
                ["events": [["name": "network-changed", "server_uuid": .string(server), "extra": 1]]],
            ] {
                let reply = try await client.request(.post, path, token: admin, body: bad)
                #expect(reply.status == 400 && reply.json?["badRequest"] != nil, "\(bad) -> \(reply.text)")
            }
            let missing: JSON = ["name": "network-vif-plugged", "server_uuid": "no-such-server", "tag": "p"]
            #expect(try await client.request(.post, path, token: admin, body: ["events": [missing]]).status == 404)
            let mixed = try await client.request(.post, path, token: admin, body: ["events": [event, missing]])
            #expect(mixed.status == 207, "\(mixed.text)")
            let codes = mixed.json?["events"]?.arrayValue?.compactMap { $0["code"]?.intValue }
            #expect(codes == [200, 404], "\(mixed.text)")
            let fine = try await client.request(.post, path, token: admin, body: ["events": [event]])
            #expect(
                fine.status == 200 && fine.json?["events"]?.arrayValue?.first?["status"] == "completed", "\(fine.text)")
        }
    }

    /// os-interface: list, attach a user's port and a new one on a network, show, detach (the user's port is
    /// kept, Nova's deleted), on an ACTIVE and a SHUTOFF server; addresses follow.
    @Test func interfacesAttachAndDetach() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let network = try await Self.privateNetwork(client, token: demo)
            let server = try await client.createServer("i", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let path = "/compute/v2.1/servers/\(server)/os-interface"

            let listed = try await client.request(.get, path, token: demo)
            let first = try #require(listed.json?["interfaceAttachments"]?.arrayValue?.first, "\(listed.text)")
            #expect(first["port_state"] == "ACTIVE" && first["net_id"]?.stringValue == network, "\(first)")
            #expect(first["fixed_ips"]?.arrayValue?.first?["subnet_id"]?.stringValue?.isEmpty == false, "\(first)")

            let mine = try await Self.newPort(client, token: demo, network: network)
            let attached = try await client.request(
                .post, path, token: demo, body: ["interfaceAttachment": ["port_id": .string(mine)]])
            #expect(attached.status == 200, "\(attached.text)")
            #expect(attached.json?["interfaceAttachment"]?["port_id"]?.stringValue == mine)
            #expect(attached.json?["interfaceAttachment"]?["port_state"] == "ACTIVE", "\(attached.text)")
            let again = try await client.request(
                .post, path, token: demo, body: ["interfaceAttachment": ["port_id": .string(mine)]])
            #expect(again.status == 409, "\(again.text)")
            for bad: JSON in [
                ["interfaceAttachment": ["port_id": .string(mine), "net_id": .string(network)]],
                ["interfaceAttachment": ["fixed_ips": [["ip_address": "10.0.0.50"]]]],
                ["interfaceAttachment": ["net_id": .string(network), "fixed_ips": [["ip_address": "x"]]]],
                ["interfaceAttachment": ["bogus": 1]], ["interfaceAttachment": "x"],
            ] {
                let reply = try await client.request(.post, path, token: demo, body: bad)
                #expect(reply.status == 400, "\(bad) -> \(reply.text)")
            }
            let unknown = try await client.request(
                .post, path, token: demo, body: ["interfaceAttachment": ["net_id": "no-such-network"]])
            #expect(unknown.status == 404, "\(unknown.text)")

            #expect(
                try await client.request(
                    .post, "/compute/v2.1/servers/\(server)/action", token: demo,
                    body: ["os-stop": .null]
                ).status == 202)
            try await client.waitFor(server, status: "SHUTOFF", token: demo)
            let onNetwork = try await client.request(
                .post, path, token: demo,
                body: ["interfaceAttachment": ["net_id": .string(network), "fixed_ips": [["ip_address": "10.0.0.77"]]]])
            #expect(onNetwork.status == 200, "\(onNetwork.text)")
            let made = try #require(onNetwork.json?["interfaceAttachment"]?["port_id"]?.stringValue)
            let shown = try await client.request(.get, path + "/\(made)", token: demo)
            #expect(shown.json?["interfaceAttachment"]?["fixed_ips"]?.arrayValue?.first?["ip_address"] == "10.0.0.77")
            #expect(try await client.request(.get, path + "/no-such-port", token: demo).status == 404)

            let view = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: demo)
            let addresses = view.json?["server"]?["addresses"]?["private"]?.arrayValue ?? []
            #expect(addresses.count == 3 && addresses.contains { $0["addr"] == "10.0.0.77" }, "\(view.text)")
            let ips = try await client.request(.get, "/compute/v2.1/servers/\(server)/ips/private", token: demo)
            #expect(ips.json?["private"]?.arrayValue?.count == 3, "\(ips.text)")
            #expect(
                try await client.request(.get, "/compute/v2.1/servers/\(server)/ips/nowhere", token: demo).status == 404
            )

            #expect(try await client.request(.delete, path + "/\(mine)", token: demo).status == 202)
            #expect(try await client.request(.delete, path + "/\(made)", token: demo).status == 202)
            #expect(
                try await Self.eventually {
                    let kept = try await Self.port(client, token: demo, mine)
                    let gone = try await client.request(.get, Self.networking + "/ports/\(made)", token: demo)
                    return kept?["device_id"] == "" && gone.status == 404
                })
            #expect(
                try await Self.eventually {
                    let view = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: demo)
                    return view.json?["server"]?["addresses"]?["private"]?.arrayValue?.count == 1
                })
            let actions = try await client.request(
                .get, "/compute/v2.1/servers/\(server)/os-instance-actions", token: demo)
            let names = actions.json?["instanceActions"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
            #expect(names.contains("attach_interface") && names.contains("detach_interface"), "\(names)")
        }
    }

    /// Security groups by name at create and through add/removeSecurityGroup; a floating IP associated with a
    /// server's port shows in its addresses (the networking service's network-changed event).
    @Test func securityGroupsAndFloatingIPsFollowTheServer() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let group = try await client.request(
                .post, Self.networking + "/security-groups", token: demo, body: ["security_group": ["name": "web"]])
            let groupID = try #require(group.json?["security_group"]?["id"]?.stringValue, "\(group.text)")
            let unknown = try await client.request(
                .post, "/compute/v2.1/servers", token: demo,
                body: [
                    "server": [
                        "name": "x", "flavorRef": "1", "imageRef": .string(image),
                        "security_groups": [["name": "nope"]],
                    ]
                ])
            #expect(unknown.status == 400, "\(unknown.text)")
            let server = try await client.createServer(
                "sg", token: demo, image: image, extra: ["security_groups": [["name": "web"]]])
            let built = try await client.waitFor(server, status: "ACTIVE", token: demo)
            #expect(built["security_groups"] == [["name": "web"]], "\(built)")
            let ports = try await client.request(.get, Self.networking + "/ports?device_id=\(server)", token: demo)
            let port = try #require(ports.json?["ports"]?.arrayValue?.first)
            #expect(port["security_groups"] == [.string(groupID)], "\(port)")
            let portID = try #require(port["id"]?.stringValue)

            let action = "/compute/v2.1/servers/\(server)/action"
            #expect(
                try await client.request(.post, action, token: demo, body: ["addSecurityGroup": ["name": "default"]])
                    .status == 202)
            let both = try await Self.port(client, token: demo, portID)
            #expect(both?["security_groups"]?.arrayValue?.count == 2, "\(both?.serialized() ?? "")")
            #expect(
                try await client.request(.post, action, token: demo, body: ["removeSecurityGroup": ["name": "web"]])
                    .status == 202)
            let removedAgain = try await client.request(
                .post, action, token: demo, body: ["removeSecurityGroup": ["name": "web"]])
            #expect(removedAgain.status == 400, "\(removedAgain.text)")
            let missing = try await client.request(
                .post, action, token: demo, body: ["addSecurityGroup": ["name": "nope"]])
            #expect(missing.status == 404, "\(missing.text)")
            let view = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: demo)
            #expect(view.json?["server"]?["security_groups"] == [["name": "default"]], "\(view.text)")

            let floating = try await client.request(
                .post, Self.networking + "/floatingips", token: demo,
                body: ["floatingip": ["floating_network_id": .string(try await publicNetwork(client, demo))]])
            let floatingID = try #require(floating.json?["floatingip"]?["id"]?.stringValue, "\(floating.text)")
            let address = try #require(floating.json?["floatingip"]?["floating_ip_address"]?.stringValue)
            let associated = try await client.request(
                .put, Self.networking + "/floatingips/\(floatingID)", token: demo,
                body: ["floatingip": ["port_id": .string(portID)]])
            #expect(associated.status == 200, "\(associated.text)")
            #expect(
                try await Self.eventually {
                    let view = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: demo)
                    let entries = view.json?["server"]?["addresses"]?["private"]?.arrayValue ?? []
                    return entries.contains {
                        $0["addr"]?.stringValue == address && $0["OS-EXT-IPS:type"] == "floating"
                    }
                })
            _ = try await client.request(
                .put, Self.networking + "/floatingips/\(floatingID)", token: demo,
                body: ["floatingip": ["port_id": .null]])
            #expect(
                try await Self.eventually {
                    let ips = try await client.request(.get, "/compute/v2.1/servers/\(server)/ips", token: demo)
                    return ips.json?["addresses"]?["private"]?.arrayValue?.count == 1
                })
        }
    }

    func publicNetwork(_ client: CloudClient, _ token: String) async throws -> String {
        let reply = try await client.request(.get, Self.networking + "/networks?name=public", token: token)
        return try #require(reply.json?["networks"]?.arrayValue?.first?["id"]?.stringValue, "\(reply.text)")
    }
}
