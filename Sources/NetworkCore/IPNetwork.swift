/// A subnet's range in CIDR form ("10.0.0.0/24", "fd00::/64"); offset n is the n-th address after the
/// network address.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let version: Int
    public let base: UInt128
    public let prefixLength: Int

    /// Parses a CIDR; the address must be the network's own (Neutron refuses "10.0.0.5/24" as a subnet's cidr
    /// only when asked strictly, so host bits are cleared here as Neutron does with netaddr).
    public init?(cidr text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])),
            // checked: at most three digits, then range-checked against the address size
            parts[1].count <= 3, parts[1].allSatisfy(\.isNumber), let length = Int(parts[1]),
            (0...address.bits).contains(length)
        else { return nil }
        version = address.version
        prefixLength = length
        base = address.value & Self.mask(bits: address.bits, prefixLength: length)
    }

    public init(version: Int, base: UInt128, prefixLength: Int) {
        self.version = version
        self.base = base
        self.prefixLength = prefixLength
    }

    static func mask(bits: Int, prefixLength: Int) -> UInt128 {
        let all: UInt128 = bits == 128 ? ~0 : (UInt128(1) << UInt128(bits)) - 1
        let hostBits = bits - prefixLength
        if hostBits == 0 { return all }
        return all & ~((UInt128(1) << UInt128(hostBits)) - 1)
    }

    public var bits: Int { version == 4 ? 32 : 128 }

    /// The number of addresses minus one (the offset of the last address).
    public var lastOffset: UInt128 {
        let hostBits = bits - prefixLength
        return hostBits == 128 ? ~0 : (UInt128(1) << UInt128(hostBits)) - 1
    }

    public var first: IPAddress { IPAddress(version: version, value: base) }
    public var last: IPAddress { IPAddress(version: version, value: base + lastOffset) }

    public func contains(_ address: IPAddress) -> Bool {
        address.version == version && address.value & Self.mask(bits: bits, prefixLength: prefixLength) == base
    }

    public func overlaps(_ other: IPNetwork) -> Bool {
        guard other.version == version else { return false }
        return contains(other.first) || other.contains(first)
    }

    public var description: String { "\(first)/\(prefixLength)" }
}

/// An inclusive range of addresses of one subnet (an allocation pool).
public struct IPRange: Sendable, Hashable, Codable {
    public var start: String
    public var end: String

    public init(start: String, end: String) {
        self.start = start
        self.end = end
    }
}
