import Foundation
import NetworkOVN
import NovaCloud
import NovaCore
import NovaTestSupport
import OVSDB
import Testing

/// `[ml2] mechanism_drivers = ovn` against OVN's own control plane (Debian's ovsdb-server with the
/// northbound and southbound schemas, and ovn-northd between them): the test plays ovn-controller, the
/// cloud's records become logical switches, ports, port groups, DHCP options and routers, a server's build
/// waits for its port to be claimed, and the drift repair puts back what was lost.
@Suite(.enabled(if: OVNControlPlane.available), .serialized) struct OVNDriverTests {
    static let networking = "/networking/v2.0"

    static func select(_ plane: OVNControlPlane, _ table: String) async throws -> [OVSDBValue] {
        let client = try await OVSDBClient.connect(to: plane.northbound.remote)
        let result = try await client.transact("OVN_Northbound", [.select(table)])
        await client.close()
        return result.first?["rows"]?.arrayValue ?? []
    }

    static func named(_ rows: [OVSDBValue], _ name: String) -> OVSDBValue? {
        rows.first { $0["name"]?.stringValue == name }
    }

    static func withOVNCloud(
        _ body: @Sendable (CloudClient, AllInOneCloud, OVNControlPlane) async throws -> Void
    ) async throws {
        let plane = try await OVNControlPlane.start()
        defer { plane.stop() }
        try await plane.addChassis("chassis-1", hostname: "fake-1", tunnelIP: "127.0.0.1", gateway: true)
        try await plane.addChassis("chassis-2", hostname: "fake-2", tunnelIP: "127.0.0.2")
        try await withCloud(fakeHosts: 2) { options in
            options.mechanismDrivers = ["ovn"]
            options.ovn.northbound = plane.northbound.remote
            options.ovn.southbound = plane.southbound.remote
            options.vifPluggingTimeout = 30
        } _: { client, cloud in
            try await body(client, cloud, plane)
        }
    }

    @Test func theRecordsBecomeTheLogicalTopologyAndABuildWaitsForItsPortToComeUp() async throws {
        try await Self.withOVNCloud { client, cloud, plane in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let networks = try await client.request(.get, Self.networking + "/networks", token: admin)
            let ids = Dictionary(
                uniqueKeysWithValues: (networks.json?["networks"]?.arrayValue ?? []).compactMap { network in
                    network["name"]?.stringValue.flatMap { name in network["id"]?.stringValue.map { (name, $0) } }
                })
            let privateID = try #require(ids["private"])
            let publicID = try #require(ids["public"])

            // The first start's networks and router are there, written by the start-up repair.
            let switches = try await Self.select(plane, "Logical_Switch")
            #expect(Self.named(switches, "neutron-" + privateID) != nil)
            #expect(Self.named(switches, "neutron-" + publicID) != nil)
            let localnet = try #require(
                Self.named(try await Self.select(plane, "Logical_Switch_Port"), "provnet-" + publicID))
            #expect(localnet["options"]?.stringMap["network_name"] == "public")
            let dhcp = try await Self.select(plane, "DHCP_Options")
            #expect(dhcp.count == 2)
            let routers = try await Self.select(plane, "Logical_Router")
            #expect(routers.count == 1)
            let nat = try await Self.select(plane, "NAT")
            #expect(
                nat.contains { $0["type"] == "snat" && $0["external_ip"]?.stringValue?.hasPrefix("172.24.4.") == true })
            let chassis = try await Self.select(plane, "Gateway_Chassis")
            #expect(chassis.map { $0["chassis_name"] } == ["chassis-1"])

            // A server's port: bound to its host's chassis, DOWN until ovn-controller claims it.
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("ovn-guest", token: demo, image: image)
            var port: JSON = .null
            for _ in 0..<200 {
                let ports = try await client.request(.get, Self.networking + "/ports?device_id=\(server)", token: admin)
                port = ports.json?["ports"]?.arrayValue?.first ?? .null
                if port["binding:host_id"]?.stringValue?.isEmpty == false { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let portID = try #require(port["id"]?.stringValue)
            let host = try #require(port["binding:host_id"]?.stringValue)
            #expect(port["binding:vif_type"] == "ovs")
            #expect(port["status"] == "DOWN")
            // The port is stored before the driver writes it (ML2's postcommit): its creation may still be on its way.
            var logicalPorts: [OVSDBValue] = []
            for _ in 0..<200 {
                logicalPorts = try await Self.select(plane, "Logical_Switch_Port")
                if Self.named(logicalPorts, portID) != nil { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let lsp = try #require(
                Self.named(logicalPorts, portID),
                "\(port) not among \(logicalPorts.compactMap { $0["name"]?.stringValue })")
            #expect(lsp["options"]?.stringMap["requested-chassis"] == host)
            #expect(
                lsp["port_security"]?.setElements.first?.stringValue?.hasPrefix(port["mac_address"]?.stringValue ?? "?")
                    == true)
            #expect(lsp["dhcpv4_options"]?.uuidValue != nil)
            let building = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: demo)
            #expect(building.json?["server"]?["status"] == "BUILD")

            try await plane.claim(port: portID, chassis: host == "fake-1" ? "chassis-1" : "chassis-2")
            try await client.waitFor(server, status: "ACTIVE", token: demo, seconds: 30)
            let active = try await client.request(.get, Self.networking + "/ports/\(portID)", token: admin)
            #expect(active.json?["port"]?["status"] == "ACTIVE")

            // Its security group is a port group holding the port, with an ACL per rule.
            let group = try #require(port["security_groups"]?.arrayValue?.first?.stringValue)
            let rule = try await client.request(
                .post, Self.networking + "/security-group-rules", token: demo,
                body: [
                    "security_group_rule": [
                        "security_group_id": .string(group), "direction": "ingress", "protocol": "tcp",
                        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0",
                    ]
                ])
            #expect(rule.status == 201, "\(rule.text)")
            let pgName = "pg_" + group.replacingOccurrences(of: "-", with: "_")
            let groups = try await Self.select(plane, "Port_Group")
            let portGroup = try #require(Self.named(groups, pgName))
            #expect(portGroup["ports"]?.setElements.map(\.uuidValue) == [lsp["_uuid"]?.uuidValue])
            let acls = try await Self.select(plane, "ACL")
            #expect(
                acls.contains {
                    $0["match"]?.stringValue
                        == "outport == @\(pgName) && ip4 && ip4.src == 0.0.0.0/0 && tcp && tcp.dst == 22"
                        && $0["action"] == "allow-related"
                })
            #expect(Self.named(groups, "neutron_pg_drop")?["ports"]?.setElements.count == 1)

            // A floating IP is a dnat_and_snat on the router.
            let fip = try await client.request(
                .post, Self.networking + "/floatingips", token: demo,
                body: ["floatingip": ["floating_network_id": .string(publicID), "port_id": .string(portID)]])
            #expect(fip.status == 201, "\(fip.text)")
            let address = fip.json?["floatingip"]?["floating_ip_address"]?.stringValue
            let nats = try await Self.select(plane, "NAT")
            #expect(nats.contains { $0["type"] == "dnat_and_snat" && $0["external_ip"]?.stringValue == address })

            // A link that goes down takes the port DOWN; the server's deletion removes its logical port.
            try await plane.claim(port: portID, chassis: nil)
            var status: JSON? = nil
            for _ in 0..<100 {
                status = try await client.request(.get, Self.networking + "/ports/\(portID)", token: admin).json?[
                    "port"]?["status"]
                if status == "DOWN" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == "DOWN")
            let deleted = try await client.request(.delete, "/compute/v2.1/servers/\(server)", token: demo)
            #expect(deleted.status == 204)
            var remaining = true
            for _ in 0..<1200 where remaining {
                remaining = Self.named(try await Self.select(plane, "Logical_Switch_Port"), portID) != nil
                if remaining { try await Task.sleep(for: .milliseconds(50)) }
            }
            let record = try await client.request(.get, Self.networking + "/ports/\(portID)", token: admin)
            #expect(!remaining, "the deleted server's logical port is still there; its record: \(record.status)")
        }
    }

    @Test func theDriftRepairPutsBackWhatWasLostAndRemovesWhatNoRecordOwns() async throws {
        try await Self.withOVNCloud { client, cloud, plane in
            let driver = try #require(cloud.networkAPI.driver as? OVNMechanismDriver)
            let before = try await Self.select(plane, "Logical_Switch")
            let lost = try #require(before.first)
            let lostName = try #require(lost["name"]?.stringValue)
            let routerPorts = try await Self.select(plane, "Logical_Router_Port").count
            // A lost write (the switch deleted behind the service's back) and a stray row.
            let nb = try await OVSDBClient.connect(to: plane.northbound.remote)
            try await nb.transact(
                "OVN_Northbound",
                [
                    .delete("Logical_Switch", where: [.equals("name", .string(lostName))]),
                    .insert("Logical_Switch", ["name": "neutron-00000000-0000-0000-0000-000000000000"]),
                    .insert("Logical_Switch", ["name": "someone-elses"]),
                    .update("Logical_Router", where: [], ["ports": .set([])]),
                ])
            await nb.close()
            // The driver sees the change through its monitor: the repair finds it once the update arrived.
            var written = 0
            for _ in 0..<100 where written == 0 {
                written = try await driver.repair()
                if written == 0 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(written > 0)
            let after = try await Self.select(plane, "Logical_Switch")
            #expect(
                Set(after.compactMap { $0["name"]?.stringValue })
                    == Set(before.compactMap { $0["name"]?.stringValue }).union(["someone-elses"]))
            #expect(try await Self.select(plane, "Logical_Router_Port").count == routerPorts)
            // The repaired switch has its ports back (the router's interface or the localnet port).
            let repaired = try #require(Self.named(after, lostName))
            #expect(!(repaired["ports"]?.setElements.isEmpty ?? true))
            // Nothing differs any more: a second repair writes nothing.
            #expect(try await driver.repair() == 0)
            _ = client
        }
    }

    @Test func eachNetworkWithDHCPHasAMetadataLocalportThatItsGuestsAreRoutedTo() async throws {
        try await Self.withOVNCloud { client, _, plane in
            let admin = try await client.adminToken()
            func metadataPorts(_ network: String) async throws -> [JSON] {
                let reply = try await client.request(
                    .get, Self.networking + "/ports?network_id=\(network)&device_owner=network:distributed",
                    token: admin)
                return reply.json?["ports"]?.arrayValue ?? []
            }
            let network = try #require(
                try await client.request(
                    .post, Self.networking + "/networks", token: admin, body: ["network": ["name": "meta-net"]]
                ).json?["network"]?["id"]?.stringValue)
            #expect(try await metadataPorts(network).isEmpty)
            let subnet = try #require(
                try await client.request(
                    .post, Self.networking + "/subnets", token: admin,
                    body: ["subnet": ["network_id": .string(network), "cidr": "10.9.0.0/24", "ip_version": 4]]
                ).json?["subnet"]?["id"]?.stringValue)
            // The first DHCP subnet makes the port, with an address on it, as a localport in no group.
            let port = try #require(try await metadataPorts(network).first)
            #expect(port["device_id"]?.stringValue == "ovnmeta-" + network)
            let address = try #require(port["fixed_ips"]?.arrayValue?.first?["ip_address"]?.stringValue)
            let portID = try #require(port["id"]?.stringValue)
            let row = try #require(Self.named(try await Self.select(plane, "Logical_Switch_Port"), portID))
            #expect(row["type"]?.stringValue == "localport")
            let dhcp = try await Self.select(plane, "DHCP_Options").first {
                $0["external_ids"]?.stringMap["subnet_id"] == subnet
            }
            #expect(
                dhcp?["options"]?.stringMap["classless_static_route"]
                    == "{169.254.169.254/32,\(address), 0.0.0.0/0,10.9.0.1}")
            // Without a DHCP subnet the network needs none; the network then deletes as usual.
            let deleted = try await client.request(.delete, Self.networking + "/subnets/\(subnet)", token: admin)
            #expect(deleted.status == 204)
            #expect(try await metadataPorts(network).isEmpty)
            #expect(Self.named(try await Self.select(plane, "Logical_Switch_Port"), portID) == nil)
            let gone = try await client.request(.delete, Self.networking + "/networks/\(network)", token: admin)
            #expect(gone.status == 204)
        }
    }
}
