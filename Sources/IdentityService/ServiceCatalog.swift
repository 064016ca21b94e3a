import Foundation
import NovaCore

/// The service catalog returned with every scoped token: one entry per service under the listener's URL,
/// the same paths devstack uses.
public struct ServiceCatalog: Sendable {
    public struct Entry: Sendable {
        let type: String
        let name: String
        let path: String
    }

    public static let region = "RegionOne"
    public let entries: [Entry]
    /// Service type -> URL listed instead of the listener's own (Placement in a process of its own).
    public let overrides: [String: String]

    public init(entries: [Entry] = ServiceCatalog.defaultEntries, overrides: [String: String] = [:]) {
        self.entries = entries
        self.overrides = overrides
    }

    public static let defaultEntries = [
        Entry(type: "identity", name: "keystone", path: "/identity"),
        Entry(type: "compute", name: "nova", path: "/compute/v2.1"),
        Entry(type: "image", name: "glance", path: "/image"),
        Entry(type: "placement", name: "placement", path: "/placement"),
        Entry(type: "network", name: "neutron", path: "/networking"),
        Entry(type: "block-storage", name: "cinder", path: "/volume/v3/$(project_id)s"),
        Entry(type: "volumev3", name: "cinderv3", path: "/volume/v3/$(project_id)s"),
    ]

    /// The catalog of a token scoped to `projectID`: `$(project_id)s` in a URL becomes the project, as
    /// Keystone substitutes it.
    public func json(baseURL: String, projectID: String) -> JSON {
        .array(
            entries.map { entry in
                let endpoints: [JSON] = ["public", "internal", "admin"].map { interface in
                    [
                        "id": .string(Self.stableID(entry.type + interface)), "interface": .string(interface),
                        "region_id": .string(Self.region), "region": .string(Self.region),
                        "url": .string(
                            (overrides[entry.type] ?? baseURL + entry.path)
                                .replacingOccurrences(of: "$(project_id)s", with: projectID)),
                    ]
                }
                return [
                    "id": .string(Self.stableID(entry.type)), "type": .string(entry.type), "name": .string(entry.name),
                    "endpoints": .array(endpoints),
                ]
            })
    }

    /// Ids that stay the same across restarts (derived from the name, as hex).
    static func stableID(_ name: String) -> String {
        var hash: UInt64 = 1_469_598_103_934_665_603
        // checked: bytes of a configured name, widened
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + String(repeating: "0", count: 16)
    }
}
