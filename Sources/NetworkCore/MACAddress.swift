import NovaCore

/// Neutron's MAC addresses: `[DEFAULT] base_mac = fa:16:3e:00:00:00`, the last three bytes random.
public enum MACAddress {
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> String {
        format((0..<3).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// A MAC of the same base derived from `id`: the same every time (for rows a repair must rebuild alike).
    public static func derived(from id: String) -> String {
        let hash = StableHash.fnv1a32(id)
        return format([
            UInt8(truncatingIfNeeded: hash >> 16), UInt8(truncatingIfNeeded: hash >> 8),
            UInt8(truncatingIfNeeded: hash),
        ])
    }

    /// The base's three bytes and `last`, as `fa:16:3e:xx:xx:xx`.
    static func format(_ last: [UInt8]) -> String {
        ([0xfa, 0x16, 0x3e] + last).map { StableHash.hex([$0]) }.joined(separator: ":")
    }

    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A unicast MAC in colon form ("fa:16:3e:12:34:56"), lower-cased; nil when `text` is not one.
    public static func normalized(_ text: String) -> String? {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6,
            parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }),
            let first = UInt8(parts[0], radix: 16), first & 1 == 0
        else { return nil }
        return parts.joined(separator: ":")
    }
}
