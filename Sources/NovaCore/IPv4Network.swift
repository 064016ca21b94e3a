/// An IPv4 network in CIDR form; host number n is the n-th address after the network address.
public struct IPv4Network: Sendable, Equatable, CustomStringConvertible {
    public let base: UInt32
    public let prefixLength: Int

    public init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let length = Int(parts[1]), (8...30).contains(length),
            let address = IPv4Network.parseAddress(String(parts[0]))
        else { return nil }
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
        base = address & mask
        prefixLength = length
    }

    public static func parseAddress(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 <= 255 }) else { return nil }
        return octets.reduce(0) { $0 << 8 | $1 }
    }

    /// Usable host numbers: the network address, the first address (the gateway) and broadcast are kept back.
    public var hostNumbers: ClosedRange<Int> { 2...(1 << (32 - prefixLength)) - 2 }

    public func address(_ hostNumber: Int) -> String {
        let value = base + UInt32(hostNumber)
        return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }

    public var description: String { "\(address(0))/\(prefixLength)" }

    /// Whether two IPv4 addresses share their first `prefixLength` bits (0...32).
    public static func sameNetwork(_ first: String, _ second: String, prefixLength: Int) -> Bool {
        guard (0...32).contains(prefixLength), let a = parseAddress(first), let b = parseAddress(second) else {
            return false
        }
        let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefixLength)
        return a & mask == b & mask
    }
}
