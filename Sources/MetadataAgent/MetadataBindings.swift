import OVSDB

/// A network whose metadata this host serves: its metadata port (the `localport` the networking service
/// made, which the agent's namespace plays on this chassis) and that port's addresses.
public struct MetadataNetwork: Sendable, Hashable {
    public var networkID: String
    /// The metadata port's id (its logical port's name).
    public var portID: String
    public var mac: String
    /// The port's addresses with their prefix lengths (`10.0.0.2/24`).
    public var addresses: [String]

    public init(networkID: String, portID: String, mac: String, addresses: [String]) {
        self.networkID = networkID
        self.portID = portID
        self.mac = mac
        self.addresses = addresses
    }
}

/// Who a guest asking for metadata is: the server and project of the port with its address.
public struct MetadataRequester: Sendable, Equatable {
    public var instanceID: String
    public var projectID: String

    public init(instanceID: String, projectID: String) {
        self.instanceID = instanceID
        self.projectID = projectID
    }
}

/// What OVN's southbound database says a chassis's metadata agent does, as ovn-metadata-agent reads it:
/// a network needs the agent where one of its ports is bound to the chassis, and a request from an address
/// of a network is the request of the port that has the address. Pure: a snapshot of `Chassis` and
/// `Port_Binding` in, answers out.
public struct MetadataBindings: Sendable {
    let bindings: [OVSDBRow]
    let chassisUUID: String?

    public static let tables: [String: [String]?] = [
        "Chassis": ["name"],
        "Port_Binding": ["logical_port", "datapath", "chassis", "type", "mac", "external_ids"],
    ]

    public init(_ snapshot: [String: [String: OVSDBRow]], chassis: String) {
        bindings = Array((snapshot["Port_Binding"] ?? [:]).values)
        chassisUUID = (snapshot["Chassis"] ?? [:]).first { $0.value["name"]?.stringValue == chassis }?.key
    }

    static func atom(_ row: OVSDBRow, _ column: String) -> OVSDBValue? { row[column]?.setElements.first }

    static func type(_ row: OVSDBRow) -> String { atom(row, "type")?.stringValue ?? "" }

    static func datapath(_ row: OVSDBRow) -> String? { atom(row, "datapath")?.uuidValue }

    static func externalIDs(_ row: OVSDBRow) -> [String: String] { row["external_ids"]?.stringMap ?? [:] }

    /// The metadata ports of the datapaths with a port bound here.
    public func networks() -> [MetadataNetwork] {
        guard let chassisUUID else { return [] }
        let local = Set(
            bindings.filter { Self.type($0).isEmpty && Self.atom($0, "chassis")?.uuidValue == chassisUUID }
                .compactMap(Self.datapath))
        return bindings.compactMap { row -> MetadataNetwork? in
            guard Self.type(row) == "localport", let datapath = Self.datapath(row), local.contains(datapath) else {
                return nil
            }
            let ids = Self.externalIDs(row)
            guard ids["neutron:device_owner"] == "network:distributed",
                let name = ids["neutron:network_name"], name.hasPrefix("neutron-"),
                let port = Self.atom(row, "logical_port")?.stringValue,
                let mac = Self.atom(row, "mac")?.stringValue?.split(separator: " ").first
            else { return nil }
            let addresses = (ids["neutron:cidrs"] ?? "").split(separator: " ").map(String.init)
                .filter { !$0.contains(":") }
            guard !addresses.isEmpty else { return nil }
            return MetadataNetwork(
                networkID: String(name.dropFirst("neutron-".count)), portID: port, mac: String(mac),
                addresses: addresses)
        }.sorted { $0.networkID < $1.networkID }
    }

    /// The server whose port on `networkID` has `address` (nil: no such guest).
    public func requester(network networkID: String, address: String) -> MetadataRequester? {
        let switchName = "neutron-" + networkID
        guard
            let datapath = bindings.first(where: {
                Self.type($0) == "localport" && Self.externalIDs($0)["neutron:network_name"] == switchName
            }).flatMap(Self.datapath)
        else { return nil }
        for row in bindings where Self.type(row).isEmpty && Self.datapath(row) == datapath {
            let addresses = (row["mac"]?.setElements ?? []).compactMap(\.stringValue)
                .flatMap { $0.split(separator: " ").dropFirst() }
            guard addresses.contains(Substring(address)) else { continue }
            let ids = Self.externalIDs(row)
            guard let instance = ids["neutron:device_id"], !instance.isEmpty else { return nil }
            return MetadataRequester(instanceID: instance, projectID: ids["neutron:project_id"] ?? "")
        }
        return nil
    }
}
