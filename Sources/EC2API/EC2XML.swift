/// An element of an EC2 answer: nested elements, or one with text.
public indirect enum XMLNode: Sendable, Equatable {
    case element(String, [XMLNode])
    case text(String, String)
    /// Elements already written (each item of a long listing, written without a tree of its own).
    case rendered([UInt8])

    /// `<name><item>...</item>...</name>`, EC2's lists.
    public static func set(_ name: String, _ items: [[XMLNode]]) -> XMLNode {
        .element(name, items.map { .element("item", $0) })
    }

    /// An element only when there is a value.
    public static func optional(_ name: String, _ value: String?) -> [XMLNode] {
        value.map { [.text(name, $0)] } ?? []
    }

    func write(into output: inout [UInt8]) {
        switch self {
        case .element(let name, let children):
            output.append(UInt8(ascii: "<"))
            output.append(contentsOf: name.utf8)
            guard !children.isEmpty else {
                output.append(contentsOf: "/>".utf8)
                return
            }
            output.append(UInt8(ascii: ">"))
            for child in children { child.write(into: &output) }
            Self.close(name, into: &output)
        case .text(let name, let text): Self.text(name, text, into: &output)
        case .rendered(let bytes): output.append(contentsOf: bytes)
        }
    }

    /// `<name>text</name>`, the text escaped.
    static func text(_ name: String, _ text: String, into output: inout [UInt8]) {
        open(name, into: &output)
        escape(text, into: &output)
        close(name, into: &output)
    }

    static func open(_ name: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "<"))
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ">"))
    }

    static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }

    static func close(_ name: String, into output: inout [UInt8]) {
        output.append(contentsOf: "</".utf8)
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ">"))
    }

    /// The text with XML's five special characters as entities (most values, ids and states, have none).
    static func escape(_ text: String, into output: inout [UInt8]) {
        let plain = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where isSpecial(byte) { return false }
            output.append(contentsOf: utf8)
            return true
        }
        if plain == true { return }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): output.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): output.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): output.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): output.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): output.append(contentsOf: "&apos;".utf8)
            default: output.append(byte)
            }
        }
    }

    /// A whole answer: `<ActionResponse xmlns=...><requestId>...</requestId>...</ActionResponse>`.
    static func document(action: String, version: String, requestID: String, _ children: [XMLNode]) -> [UInt8] {
        var output = Array(Self.declaration.utf8)
        let rendered = children.reduce(0) { sum, child in
            if case .rendered(let bytes) = child { return sum + bytes.count }
            return sum
        }
        output.reserveCapacity(rendered + (1 << 12))
        output += "<\(action)Response xmlns=\"http://ec2.amazonaws.com/doc/\(version)/\">".utf8
        XMLNode.text("requestId", requestID).write(into: &output)
        for child in children { child.write(into: &output) }
        close(action + "Response", into: &output)
        return output
    }

    static let declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
}
