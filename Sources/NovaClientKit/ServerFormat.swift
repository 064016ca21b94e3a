import NovaCore

/// How servers read in novaclient's tables.
public enum ServerFormat {
    public static func powerState(_ value: JSON?) -> String {
        switch value?.intValue {
        case 0: return "NOSTATE"
        case 1: return "Running"
        case 3: return "Paused"
        case 4: return "Shutdown"
        case 6: return "Crashed"
        case 7: return "Suspended"
        default: return value.map(text) ?? ""
        }
    }

    /// `private=10.0.0.2, 10.0.0.3; other=...`
    public static func networks(_ addresses: JSON?) -> String {
        guard let object = addresses?.objectValue else { return "" }
        return object.entries.map { network, list in
            network + "=" + (list.arrayValue ?? []).compactMap { $0["addr"]?.stringValue }.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    /// A JSON value as a table cell: strings bare, null as "-", the rest as compact JSON.
    public static func text(_ value: JSON) -> String {
        switch value {
        case .string(let string): return string
        case .null: return "-"
        case .bool(let flag): return flag ? "True" : "False"
        default: return value.serialized()
        }
    }

    /// `nova show`: every field sorted, with flavor and image made readable.
    public static func properties(_ server: JSON) -> [(String, String)] {
        guard let object = server.objectValue else { return [] }
        return object.entries.filter { $0.0 != "links" }.sorted { $0.0 < $1.0 }.map { key, value in
            switch key {
            case "flavor":
                if let name = value["original_name"]?.stringValue { return ("flavor:original_name", name) }
                return ("flavor", value["id"].map(text) ?? text(value))
            case "image":
                return ("image", value["id"].map(text) ?? "Attempt to boot from volume - no image supplied")
            case "OS-EXT-STS:power_state":
                return (key, powerState(value))
            case "addresses":
                return ("networks", networks(value))
            default:
                return (key, text(value))
            }
        }
    }
}
