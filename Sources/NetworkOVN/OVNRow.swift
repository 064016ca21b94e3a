import Foundation
import OVSDB

/// A northbound row's identity, as the driver and the drift repair recognise it: its table and a name
/// derived from its columns (and, for rows that only exist inside another, that row's name).
public struct OVNRowKey: Hashable, Sendable, CustomStringConvertible {
    public var table: String
    public var name: String

    public init(_ table: String, _ name: String) {
        self.table = table
        self.name = name
    }

    public var description: String { "\(table)[\(name)]" }
}

/// A reference from a container row's set column to a row (a switch's `ports`, a port group's `ports`).
public struct OVNMembership: Hashable, Sendable {
    public var container: OVNRowKey
    public var column: String

    public init(_ container: OVNRowKey, _ column: String) {
        self.container = container
        self.column = column
    }
}

/// A row as the networking records want it: the columns the driver owns (others are left as they are),
/// reference columns naming other rows by key, and the containers that must hold it (the first is the owner
/// of a row in a non-root table: without it the database drops the row).
public struct OVNRow: Sendable, Equatable {
    public var table: String
    public var columns: [String: OVSDBValue]
    public var references: [String: [OVNRowKey]]
    public var memberships: [OVNMembership]
    public let key: OVNRowKey

    public init(
        _ table: String, _ columns: [String: OVSDBValue], references: [String: [OVNRowKey]] = [:],
        in memberships: [OVNMembership] = []
    ) {
        self.table = table
        self.columns = columns
        self.references = references
        self.memberships = memberships
        let parent = memberships.first.map { $0.container.name }
        key = OVNRowKey(table, OVNIdentity.name(table, columns, parent: parent) ?? "")
    }
}

/// How the driver names northbound rows, for the rows it writes and for those it finds, and which rows
/// another row holds (a row's contents go with it).
public enum OVNIdentity {
    /// Set columns whose rows belong to the row holding them (strong references of the OVN schema).
    public static let children: [String: [(column: String, table: String)]] = [
        "Logical_Switch": [("ports", "Logical_Switch_Port")],
        "Port_Group": [("acls", "ACL")],
        "Logical_Router": [
            ("ports", "Logical_Router_Port"), ("nat", "NAT"), ("static_routes", "Logical_Router_Static_Route"),
        ],
        "Logical_Router_Port": [("gateway_chassis", "Gateway_Chassis")],
    ]
    /// Set columns that only refer to rows held elsewhere.
    public static let weakMembers: [String: [(column: String, table: String)]] = [
        "Port_Group": [("ports", "Logical_Switch_Port")]
    ]
    /// Tables whose rows live without a container (deleted with `delete`; the others by dropping them from
    /// their container).
    public static let rootTables: Set<String> = ["Logical_Switch", "Port_Group", "Logical_Router", "DHCP_Options"]
    /// The tables the driver reads and writes.
    public static let tables: [String] = [
        "Logical_Switch", "Logical_Switch_Port", "DHCP_Options", "Port_Group", "ACL", "Logical_Router",
        "Logical_Router_Port", "NAT", "Logical_Router_Static_Route", "Gateway_Chassis",
    ]

    /// The name of a row with `columns` in `table` (held by the row named `parent`), nil for a row this
    /// driver does not manage.
    public static func name(_ table: String, _ columns: [String: OVSDBValue], parent: String?) -> String? {
        func text(_ column: String) -> String? { columns[column].flatMap(atom)?.stringValue }
        let ids = columns["external_ids"]?.stringMap ?? [:]
        switch table {
        case "Logical_Switch", "Logical_Router":
            guard let name = text("name"), name.hasPrefix("neutron-") else { return nil }
            return name
        case "Logical_Switch_Port", "Logical_Router_Port", "Gateway_Chassis":
            return text("name")
        case "DHCP_Options":
            guard let subnet = ids["subnet_id"], ids["port_id"] == nil else { return nil }
            return "subnet:" + subnet
        case "Port_Group":
            guard let name = text("name"), name.hasPrefix("pg_") || name == OVNNames.dropGroup else { return nil }
            return name
        case "ACL":
            guard let parent else { return nil }
            let rule = ids["neutron:security_group_rule_id"]
            return parent + "|" + (rule ?? ((text("direction") ?? "") + "|" + (text("match") ?? "")))
        case "NAT":
            guard let parent else { return nil }
            return [parent, text("type") ?? "", text("logical_ip") ?? "", text("external_ip") ?? ""]
                .joined(separator: "|")
        case "Logical_Router_Static_Route":
            guard let parent else { return nil }
            return [parent, text("ip_prefix") ?? "", text("nexthop") ?? ""].joined(separator: "|")
        default:
            return nil
        }
    }

    /// A lone atom, or the only element of a set of one.
    static func atom(_ value: OVSDBValue) -> OVSDBValue? {
        let elements = value.setElements
        return elements.count == 1 ? elements[0] : nil
    }
}

/// The names ML2/OVN gives northbound rows after the networking records.
public enum OVNNames {
    public static let dropGroup = "neutron_pg_drop"
    public static func logicalSwitch(_ networkID: String) -> String { "neutron-" + networkID }
    public static func logicalRouter(_ routerID: String) -> String { "neutron-" + routerID }
    public static func routerPort(_ portID: String) -> String { "lrp-" + portID }
    public static func localnetPort(_ networkID: String) -> String { "provnet-" + networkID }
    public static func portGroup(_ securityGroupID: String) -> String {
        "pg_" + securityGroupID.replacingOccurrences(of: "-", with: "_")
    }
    public static func dhcpOptions(_ subnetID: String) -> OVNRowKey { OVNRowKey("DHCP_Options", "subnet:" + subnetID) }
}
