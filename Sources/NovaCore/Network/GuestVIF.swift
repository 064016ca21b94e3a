/// One NIC of a guest as the virt driver plugs it (Nova's VIF in the network info cache): the port, its MAC,
/// and how the networking service bound it (`binding:vif_type`, and from `binding:vif_details` the bridge
/// and its datapath type).
public struct GuestVIF: Sendable, Codable, Equatable {
    public var portID: String
    public var mac: String
    /// "ovs" (a tap on an Open vSwitch bridge), "other" (no data plane), "binding_failed", "unbound".
    public var type: String
    public var bridge: String?
    public var datapathType: String?

    public init(portID: String, mac: String, type: String, bridge: String? = nil, datapathType: String? = nil) {
        self.portID = portID
        self.mac = mac
        self.type = type
        self.bridge = bridge
        self.datapathType = datapathType
    }

    /// The host's device for the NIC: "tap" and the port id's first 11 characters, as Nova names it (an
    /// interface name has at most 15).
    public var devname: String { "tap" + String(portID.prefix(11)) }

    public init(_ port: PortSummary) {
        self.init(
            portID: port.id, mac: port.macAddress, type: port.vifType, bridge: port.vifDetails["bridge_name"],
            datapathType: port.vifDetails["datapath_type"])
    }
}
