import Foundation
import NetworkCore
import NetworkOVN
import OVSDB
import Testing

/// The differ over a database snapshot: what it inserts, changes, keeps and removes, without a server.
@Suite struct OVNSyncTests {
    static let network = "net-1"
    static let switchKey = OVNRowKey("Logical_Switch", "neutron-net-1")

    static func port(_ id: String, groups: [String] = []) -> OVNRow {
        OVNRow(
            "Logical_Switch_Port", ["name": .string(id), "addresses": .set(["fa:16:3e:00:00:01 10.0.0.5"])],
            in: [OVNMembership(switchKey, "ports")]
                + groups.map { OVNMembership(OVNRowKey("Port_Group", $0), "ports") })
    }

    static let logicalSwitch = OVNRow(
        "Logical_Switch", ["name": "neutron-net-1", "external_ids": .map(["neutron:network_name": "private"])])

    /// The snapshot the operations would leave (inserts get their uuid-name as uuid), enough for these tests.
    static func database(_ tables: [String: [String: OVSDBRow]]) -> OVNSync { OVNSync(tables) }

    @Test func aNewSwitchAndItsPortAreOneInsertEachWithThePortInTheSwitch() throws {
        let operations = OVNSync([:]).operations(desired: [Self.logicalSwitch, Self.port("p1")], scope: [])
        #expect(operations.count == 2)
        let insertSwitch = try #require(operations.first { $0.json["table"] == "Logical_Switch" })
        #expect(insertSwitch.json["op"] == "insert")
        let ports = insertSwitch.json["row"]?["ports"]?.setElements ?? []
        let insertPort = try #require(operations.first { $0.json["table"] == "Logical_Switch_Port" })
        #expect(ports == [.namedUUID(insertPort.json["uuid-name"]?.stringValue ?? "")])
    }

    @Test func rowsThatMatchNeedNothingAndAChangedColumnIsOneUpdate() {
        let tables: [String: [String: OVSDBRow]] = [
            "Logical_Switch": [
                "s1": [
                    "name": "neutron-net-1", "ports": .set([.uuid("p1")]),
                    "external_ids": ["map", [["neutron:network_name", "private"]]],
                ]
            ],
            "Logical_Switch_Port": [
                "p1": ["name": "p1", "addresses": "fa:16:3e:00:00:01 10.0.0.5"]
            ],
        ]
        let sync = OVNSync(tables)
        #expect(sync.operations(desired: [Self.logicalSwitch, Self.port("p1")], scope: nil).isEmpty)
        var renamed = Self.logicalSwitch
        renamed.columns["external_ids"] = .map(["neutron:network_name": "renamed"])
        let operations = sync.operations(desired: [renamed, Self.port("p1")], scope: nil)
        #expect(operations.count == 1)
        #expect(operations.first?.json["op"] == "update")
        #expect(operations.first?.json["row"]?["external_ids"] == .map(["neutron:network_name": "renamed"]))
    }

    @Test func aPortThatLeftAGroupIsTakenOutAndOneThatJoinedIsPutIn() throws {
        let tables: [String: [String: OVSDBRow]] = [
            "Logical_Switch": ["s1": ["name": "neutron-net-1", "ports": .set([.uuid("p1")])]],
            "Logical_Switch_Port": ["p1": ["name": "p1", "addresses": "fa:16:3e:00:00:01 10.0.0.5"]],
            "Port_Group": [
                "g1": ["name": "pg_a", "ports": .uuid("p1")],
                "g2": ["name": "pg_b", "ports": .set([])],
            ],
        ]
        let operations = OVNSync(tables).operations(
            desired: [Self.port("p1", groups: ["pg_b"])], scope: [OVNRowKey("Logical_Switch_Port", "p1")])
        #expect(operations.count == 2)
        let mutations = operations.map { ($0.json["where"]?.arrayValue?.first?.arrayValue?.last, $0.json["mutations"]) }
        #expect(mutations.contains { $0.0 == .uuid("g1") && $0.1?.arrayValue?.first?.arrayValue?[1] == "delete" })
        #expect(mutations.contains { $0.0 == .uuid("g2") && $0.1?.arrayValue?.first?.arrayValue?[1] == "insert" })
    }

    @Test func theScopeBoundsRemovalsAndTheRepairRemovesStrayRowsAndDuplicates() {
        let tables: [String: [String: OVSDBRow]] = [
            "Logical_Switch": [
                "s1": ["name": "neutron-net-1", "ports": .set([.uuid("p1"), .uuid("p2")])],
                "s2": ["name": "neutron-net-1"],
                "s3": ["name": "neutron-gone"],
                "s4": ["name": "not-ours", "ports": .uuid("p9")],
            ],
            "Logical_Switch_Port": [
                "p1": ["name": "p1", "addresses": "fa:16:3e:00:00:01 10.0.0.5"],
                "p2": ["name": "p2"],
                "p9": ["name": "p9"],
            ],
        ]
        let sync = OVNSync(tables)
        // A port's sync removes only that port.
        let one = sync.operations(desired: [], scope: [OVNRowKey("Logical_Switch_Port", "p2")])
        #expect(one.count == 1 && one.first?.json["op"] == "mutate")
        // The repair: the duplicate switch and the stray one go, p2 leaves its switch, not-ours stays.
        let all = sync.operations(desired: [Self.logicalSwitch, Self.port("p1")], scope: nil)
        let deleted = all.filter { $0.json["op"] == "delete" }.compactMap {
            $0.json["where"]?.arrayValue?.first?.arrayValue?.last?.uuidValue
        }
        #expect(Set(deleted) == ["s2", "s3"])
        #expect(all.filter { $0.json["op"] == "mutate" }.count == 1)
    }
}

/// The rows ML2/OVN writes for the records.
@Suite struct OVNTopologyTests {
    static let date = Date(timeIntervalSince1970: 0)

    static func rule(_ direction: String, _ proto: String?, _ low: Int?, _ high: Int?) -> SecurityGroupRule {
        var rule = SecurityGroupRule(
            id: "r", projectID: "p", securityGroupID: "a-b", direction: direction, ethertype: "IPv4", createdAt: date)
        rule.ipProtocol = proto
        rule.portRangeMin = low
        rule.portRangeMax = high
        return rule
    }

    @Test func ruleMatchesAreWrittenAsML2OVNWritesThem() {
        let group = "pg_a_b"
        #expect(
            OVNTopology.match(Self.rule("ingress", "tcp", 22, 22), portGroup: group)
                == "outport == @pg_a_b && ip4 && tcp && tcp.dst == 22")
        #expect(
            OVNTopology.match(Self.rule("egress", "17", 1000, 2000), portGroup: group)
                == "inport == @pg_a_b && ip4 && udp && udp.dst >= 1000 && udp.dst <= 2000")
        var icmp = Self.rule("ingress", "icmp", 8, 0)
        icmp.remoteIPPrefix = "0.0.0.0/0"
        #expect(
            OVNTopology.match(icmp, portGroup: group)
                == "outport == @pg_a_b && ip4 && ip4.src == 0.0.0.0/0 && icmp4 && icmp4.type == 8 && icmp4.code == 0")
        var remote = Self.rule("ingress", nil, nil, nil)
        remote.remoteGroupID = "c-d"
        #expect(OVNTopology.match(remote, portGroup: group) == "outport == @pg_a_b && ip4 && ip4.src == $pg_c_d_ip4")
        #expect(OVNTopology.match(Self.rule("egress", "gre", nil, nil), portGroup: group).hasSuffix("ip.proto == 47"))
    }

    /// A tenant network "n" (geneve, MTU 1442) and its subnet "s", 10.0.0.0/24 through 10.0.0.1.
    static let network = Network(
        id: "n", projectID: "p", name: "private", segment: Segment(networkType: "geneve", segmentationID: 5),
        mtu: 1442, createdAt: date)
    static let subnet: Subnet = {
        var subnet = Subnet(
            id: "s", projectID: "p", networkID: "n", name: "", cidr: IPNetwork(cidr: "10.0.0.0/24")!, createdAt: date)
        subnet.gatewayIP = "10.0.0.1"
        return subnet
    }()

    @Test func aPortWithoutPortSecurityAcceptsUnknownAddressesAndIsInNoGroup() throws {
        let (network, subnet) = (Self.network, Self.subnet)
        var port = NetworkPort(
            id: "x", projectID: "p", networkID: "n", macAddress: "fa:16:3e:aa:bb:cc", createdAt: Self.date)
        port.fixedIPs = [FixedIP(subnetID: "s", ipAddress: "10.0.0.7")]
        port.securityGroups = ["g"]
        let topology = OVNTopology()
        let secured = try #require(topology.portRow(port, network: network, subnets: ["s": subnet]))
        #expect(secured.columns["port_security"] == .set(["fa:16:3e:aa:bb:cc 10.0.0.7"]))
        #expect(secured.memberships.map(\.container.name) == ["neutron-n", "pg_g", "neutron_pg_drop"])
        #expect(secured.references["dhcpv4_options"] == [OVNNames.dhcpOptions("s")])
        port.portSecurityEnabled = false
        let open = try #require(topology.portRow(port, network: network, subnets: ["s": subnet]))
        #expect(open.columns["addresses"] == .set(["fa:16:3e:aa:bb:cc 10.0.0.7", "unknown"]))
        #expect(open.columns["port_security"] == .set([]))
        #expect(open.memberships.count == 1)
        let dhcp = try #require(topology.dhcpRow(subnet, network: network))
        #expect(dhcp.columns["options"]?.stringMap["router"] == "10.0.0.1")
        #expect(dhcp.columns["options"]?.stringMap["mtu"] == "1442")
        port.deviceOwner = DeviceOwner.floatingIP
        #expect(topology.portRow(port, network: network, subnets: [:]) == nil)
    }

    @Test func aPortInALiveMigrationIsBoundToBothHostsTheDestinationActivatedByTheGuestsRARP() throws {
        let network = Self.network
        var port = NetworkPort(
            id: "x", projectID: "p", networkID: "n", macAddress: "fa:16:3e:aa:bb:cc", createdAt: Self.date)
        port.binding.hostID = "compute-1"
        let topology = OVNTopology()
        var row = try #require(topology.portRow(port, network: network, subnets: [:]))
        #expect(row.columns["options"]?.stringMap["requested-chassis"] == "compute-1")
        #expect(row.columns["options"]?.stringMap["activation-strategy"] == nil)
        var destination = port.binding
        destination.hostID = "compute-2"
        port.inactiveBindings = [destination]
        row = try #require(topology.portRow(port, network: network, subnets: [:]))
        #expect(row.columns["options"]?.stringMap["requested-chassis"] == "compute-1,compute-2")
        #expect(row.columns["options"]?.stringMap["activation-strategy"] == "rarp")
    }

    @Test func theMetadataPortIsALocalportAndGuestsAreRoutedToItForTheMetadataAddress() throws {
        let (network, subnet) = (Self.network, Self.subnet)
        var port = NetworkPort(
            id: "m", projectID: "p", networkID: "n", macAddress: "fa:16:3e:00:00:02", createdAt: Self.date)
        port.deviceOwner = DeviceOwner.distributed
        port.fixedIPs = [FixedIP(subnetID: "s", ipAddress: "10.0.0.2")]
        let topology = OVNTopology()
        let row = try #require(topology.portRow(port, network: network, subnets: ["s": subnet]))
        #expect(row.columns["type"] == "localport")
        #expect(row.columns["addresses"] == .set(["fa:16:3e:00:00:02 10.0.0.2"]))
        #expect(row.columns["port_security"] == .set([]))
        #expect(row.memberships.map(\.container.name) == ["neutron-n"])
        #expect(row.references["dhcpv4_options"] == [])
        let rows = topology.networkRows(network, subnets: [subnet], metadataPort: port)
        let dhcp = try #require(rows.first { $0.table == "DHCP_Options" })
        #expect(
            dhcp.columns["options"]?.stringMap["classless_static_route"]
                == "{169.254.169.254/32,10.0.0.2, 0.0.0.0/0,10.0.0.1}")
        let plain = try #require(topology.dhcpRow(subnet, network: network))
        #expect(plain.columns["options"]?.stringMap["classless_static_route"] == nil)
    }
}
