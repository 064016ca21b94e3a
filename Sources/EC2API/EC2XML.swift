/// An element of an EC2 answer: nested elements, or one with text.
public indirect enum XMLNode: Sendable, Equatable {
    case element(String, [XMLNode])
    case text(String, String)

    /// `<name><item>...</item>...</name>`, EC2's lists.
    public static func set(_ name: String, _ items: [[XMLNode]]) -> XMLNode {
        .element(name, items.map { .element("item", $0) })
    }

    /// An element only when there is a value.
    public static func optional(_ name: String, _ value: String?) -> [XMLNode] {
        value.map { [.text(name, $0)] } ?? []
    }

    func write(into output: inout String) {
        switch self {
        case .element(let name, let children):
            guard !children.isEmpty else {
                output += "<\(name)/>"
                return
            }
            output += "<\(name)>"
            for child in children { child.write(into: &output) }
            output += "</\(name)>"
        case .text(let name, let text):
            output += "<\(name)>\(Self.escape(text))</\(name)>"
        }
    }

    static func escape(_ text: String) -> String {
        // Most values (ids, states, names) have nothing to escape.
        guard
            text.utf8.contains(where: {
                $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                    || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'")
            })
        else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A whole answer: `<ActionResponse xmlns=...><requestId>...</requestId>...</ActionResponse>`.
    static func document(action: String, version: String, requestID: String, _ children: [XMLNode]) -> String {
        var output = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        output.reserveCapacity(1 << 16)
        output += "<\(action)Response xmlns=\"http://ec2.amazonaws.com/doc/\(version)/\">"
        XMLNode.text("requestId", requestID).write(into: &output)
        for child in children { child.write(into: &output) }
        output += "</\(action)Response>"
        return output
    }
}
