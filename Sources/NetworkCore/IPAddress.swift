/// An IPv4 or IPv6 address as a number, parsed from and printed in the usual text forms.
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 4 or 6.
    public let version: Int
    public let value: UInt128

    public init(version: Int, value: UInt128) {
        self.version = version
        self.value = value
    }

    /// Parses dotted IPv4 ("10.0.0.5") or IPv6 ("fd00::1", "::ffff:10.0.0.1"); nil for anything else.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let value = Self.parseV6(Substring(text)) else { return nil }
            self.init(version: 6, value: value)
        } else {
            guard let value = Self.parseV4(Substring(text)) else { return nil }
            self.init(version: 4, value: UInt128(value))
        }
    }

    public var bits: Int { version == 4 ? 32 : 128 }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            // checked: one to three digits, then at most 255
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func parseV6(_ text: Substring) -> UInt128? {
        var text = text
        var tail: [UInt16] = []
        // An embedded IPv4 address at the end counts as two groups.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = parseV4(text[text.index(after: lastColon)...]) else { return nil }
            tail = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
            text = text[...lastColon]
            if text.hasSuffix("::") == false { text = text.dropLast() }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let number = UInt16(group, radix: 16) else { return nil }
                result.append(number)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let rest = groups(halves[1]) else { return nil }
            let missing = 8 - head.count - rest.count - tail.count
            guard missing >= 1 else { return nil }
            all = head + Array(repeating: 0, count: missing) + rest + tail
        } else {
            all = head + tail
        }
        guard all.count == 8 else { return nil }
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    /// Dotted quads, or RFC 5952's IPv6 form (lower case, the longest run of zero groups as "::").
    public var description: String {
        if version == 4 {
            return [24, 16, 8, 0].map { String((value >> UInt128($0)) & 0xFF) }.joined(separator: ".")
        }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> UInt128(112 - 16 * $0)) }
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8, groups[end] == 0 { end += 1 }
                if end - index > best.length, end - index > 1 { best = (index, end - index) }
                index = end
            } else {
                index += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.version, lhs.value) < (rhs.version, rhs.value)
    }
}
