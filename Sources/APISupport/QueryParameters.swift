import NovaCore

/// A URL query string, percent-decoded, keeping repeated keys in order.
public struct QueryParameters: Sendable {
    public private(set) var pairs: [(String, String)] = []

    public init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            pairs.append((key, value))
        }
    }

    /// The last value given for `key` (what Nova's webob `params.get` returns).
    public subscript(key: String) -> String? {
        pairs.last(where: { $0.0 == key })?.1
    }

    public func all(_ key: String) -> [String] {
        pairs.filter { $0.0 == key }.map(\.1)
    }

    public var keys: [String] { pairs.map(\.0) }

    /// The same query with only the keys `keep` accepts.
    public func filter(_ keep: (String) -> Bool) -> QueryParameters {
        var kept = QueryParameters(nil)
        kept.pairs = pairs.filter { keep($0.0) }
        return kept
    }

    public func contains(_ key: String) -> Bool { pairs.contains { $0.0 == key } }

    /// Nova's bool-like query values ("true", "1", "yes", "on").
    public func flag(_ key: String) -> Bool? {
        guard let value = self[key]?.lowercased() else { return nil }
        if ["true", "1", "yes", "on", "t", "y"].contains(value) { return true }
        if ["false", "0", "no", "off", "f", "n"].contains(value) { return false }
        return nil
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encodes a value for a link.
    public static func encode(_ text: String) -> String { PercentEncoding.encode(text) }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
