import MetadataAgent
import OVSDB
import Testing

/// What a chassis's metadata agent reads from the southbound database, without a server.
@Suite struct MetadataBindingsTests {
    static func binding(
        _ port: String, type: String = "", datapath: String, chassis: String? = nil, mac: String,
        ids: [String: String] = [:]
    ) -> OVSDBRow {
        [
            "logical_port": .string(port), "type": .string(type), "datapath": .uuid(datapath),
            "chassis": chassis.map { .uuid($0) } ?? .set([]), "mac": .set([.string(mac)]), "external_ids": .map(ids),
        ]
    }

    static func metadataPort(_ network: String, datapath: String, address: String) -> OVSDBRow {
        binding(
            "meta-\(network)", type: "localport", datapath: datapath, mac: "fa:16:3e:00:00:02 \(address)",
            ids: [
                "neutron:device_owner": "network:distributed", "neutron:network_name": "neutron-\(network)",
                "neutron:cidrs": "\(address)/24",
            ])
    }

    static let snapshot: [String: [String: OVSDBRow]] = [
        "Chassis": ["c-here": ["name": "here"], "c-there": ["name": "there"]],
        "Port_Binding": [
            "1": metadataPort("net-a", datapath: "dp-a", address: "10.0.0.2"),
            "2": metadataPort("net-b", datapath: "dp-b", address: "10.1.0.2"),
            "3": binding(
                "vm1-port", datapath: "dp-a", chassis: "c-here", mac: "fa:16:3e:00:00:03 10.0.0.3",
                ids: ["neutron:device_id": "vm1", "neutron:project_id": "p1"]),
            "4": binding(
                "vm2-port", datapath: "dp-b", chassis: "c-there", mac: "fa:16:3e:00:00:04 10.1.0.4",
                ids: ["neutron:device_id": "vm2", "neutron:project_id": "p2"]),
            "5": binding("probe", datapath: "dp-a", chassis: "c-here", mac: "fa:16:3e:00:00:05 10.0.0.5"),
        ],
    ]

    @Test func aChassisServesTheNetworksOfThePortsBoundToIt() {
        let here = MetadataBindings(Self.snapshot, chassis: "here").networks()
        #expect(
            here == [
                MetadataNetwork(
                    networkID: "net-a", portID: "meta-net-a", mac: "fa:16:3e:00:00:02", addresses: ["10.0.0.2/24"])
            ])
        #expect(MetadataBindings(Self.snapshot, chassis: "there").networks().map(\.networkID) == ["net-b"])
        #expect(MetadataBindings(Self.snapshot, chassis: "nowhere").networks().isEmpty)
    }

    @Test func aRequestIsTheServerWhosePortOnTheNetworkHasTheAddress() {
        let bindings = MetadataBindings(Self.snapshot, chassis: "here")
        #expect(
            bindings.requester(network: "net-a", address: "10.0.0.3")
                == MetadataRequester(instanceID: "vm1", projectID: "p1"))
        // Another network's guest, a port of no server, an address no port has.
        #expect(bindings.requester(network: "net-a", address: "10.1.0.4") == nil)
        #expect(bindings.requester(network: "net-a", address: "10.0.0.5") == nil)
        #expect(bindings.requester(network: "net-a", address: "10.0.0.30") == nil)
        #expect(bindings.requester(network: "net-b", address: "10.1.0.4")?.instanceID == "vm2")
    }
}
