import NovaCore

/// The rules of a subnet's address space: default gateway and pools, pool checks, and the choice of the next
/// free address. Offsets count from the subnet's network address; only the first 2^62 offsets of a pool take
/// part in automatic allocation (an IPv6 /64 has more than anyone allocates).
public enum AddressAllocator {
    public static let maxOffset: UInt128 = 1 << 62

    /// Neutron's default gateway: the first address after the network address.
    public static func defaultGateway(_ network: IPNetwork) -> IPAddress? {
        network.lastOffset >= 2 ? IPAddress(version: network.version, value: network.base + 1) : nil
    }

    /// Neutron's default pool: every address but the network address, the IPv4 broadcast and the gateway.
    public static func defaultPools(_ network: IPNetwork, gateway: IPAddress?) -> [IPRange] {
        let lastUsable = network.version == 4 ? network.lastOffset - 1 : network.lastOffset
        guard lastUsable >= 1 else { return [] }
        var ranges: [(UInt128, UInt128)] = [(1, lastUsable)]
        if let gateway, network.contains(gateway) {
            let offset = gateway.value - network.base
            ranges = ranges.flatMap { range -> [(UInt128, UInt128)] in
                guard range.0 <= offset, offset <= range.1 else { return [range] }
                var parts: [(UInt128, UInt128)] = []
                if offset > range.0 { parts.append((range.0, offset - 1)) }
                if offset < range.1 { parts.append((offset + 1, range.1)) }
                return parts
            }
        }
        return ranges.map { range in
            IPRange(
                start: IPAddress(version: network.version, value: network.base + range.0).description,
                end: IPAddress(version: network.version, value: network.base + range.1).description)
        }
    }

    /// Checks pools given in a request against the subnet and its gateway; returns them in canonical form.
    public static func checkedPools(_ pools: [IPRange], network: IPNetwork, gateway: IPAddress?) throws(NovaError)
        -> [IPRange]
    {
        var bounds: [(IPAddress, IPAddress)] = []
        for pool in pools {
            guard let start = IPAddress(pool.start), let end = IPAddress(pool.end), start.version == network.version,
                end.version == network.version
            else {
                throw .invalidInput("\(pool.start)-\(pool.end) is not a valid IP range")
            }
            guard network.contains(start), network.contains(end), start <= end else {
                throw NovaError(
                    .invalidInput,
                    "The allocation pool \(pool.start)-\(pool.end) spans beyond the subnet cidr \(network).")
            }
            if let gateway, start <= gateway, gateway <= end {
                throw NovaError(
                    .conflict,
                    "Gateway ip \(gateway) conflicts with allocation pool \(pool.start)-\(pool.end).")
            }
            bounds.append((start, end))
        }
        bounds.sort { $0.0 < $1.0 }
        for (first, second) in zip(bounds, bounds.dropFirst()) where second.0 <= first.1 {
            throw NovaError(
                .invalidInput, "Found overlapping allocation pools: \(first.0)-\(first.1) and \(second.0)-\(second.1)")
        }
        return bounds.map { IPRange(start: $0.0.description, end: $0.1.description) }
    }

    /// A subnet's pools as offset ranges, clamped to `maxOffset`.
    public static func offsetRanges(_ subnet: Subnet) -> [ClosedRange<Int>] {
        guard let network = subnet.network else { return [] }
        return subnet.allocationPools.compactMap { pool in
            guard let start = IPAddress(pool.start), let end = IPAddress(pool.end), start.value >= network.base,
                end.value >= start.value
            else { return nil }
            let low = start.value - network.base
            let high = min(end.value - network.base, maxOffset)
            guard low <= high else { return nil }
            // checked: both at most maxOffset (2^62)
            return Int(low)...Int(high)
        }.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// The offset of `address` in `network` if it takes part in automatic allocation, else -1.
    public static func offset(of address: IPAddress, in network: IPNetwork) -> Int {
        let offset = address.value - network.base
        // checked: converted only when at most maxOffset (2^62)
        return offset <= maxOffset ? Int(offset) : -1
    }

    /// The next offset to give after the highest one given (`highest`), or nil when that lies past every pool.
    public static func offsetAfter(_ highest: Int?, in pools: [ClosedRange<Int>]) -> Int? {
        let candidate = (highest ?? -1).saturatingAdd(1)
        for pool in pools where pool.upperBound >= candidate {
            return max(pool.lowerBound, candidate)
        }
        return nil
    }

    /// The lowest offset of the pools not in `used` (sorted ascending), or nil when the pools are full.
    public static func lowestFree(in pools: [ClosedRange<Int>], used: [Int]) -> Int? {
        var index = 0
        for pool in pools {
            var candidate = pool.lowerBound
            while index < used.count, used[index] < candidate { index += 1 }
            while index < used.count, used[index] == candidate, candidate <= pool.upperBound {
                candidate += 1
                index += 1
            }
            if candidate <= pool.upperBound { return candidate }
        }
        return nil
    }

    public static func address(offset: Int, in network: IPNetwork) -> IPAddress {
        IPAddress(version: network.version, value: network.base + UInt128(offset))
    }
}
