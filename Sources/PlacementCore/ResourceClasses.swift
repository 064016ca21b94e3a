/// Placement's standard resource classes (os-resource-classes) and the rule for custom ones.
public enum ResourceClasses {
    public static let standard: [String] = [
        "VCPU", "MEMORY_MB", "DISK_GB", "PCI_DEVICE", "SRIOV_NET_VF", "NUMA_SOCKET", "NUMA_CORE", "NUMA_THREAD",
        "NUMA_MEMORY_MB", "IPV4_ADDRESS", "VGPU", "VGPU_DISPLAY_HEAD", "NET_BW_EGR_KILOBIT_PER_SEC",
        "NET_BW_IGR_KILOBIT_PER_SEC", "PCPU", "MEM_ENCRYPTION_CONTEXT", "FPGA", "PGPU",
        "NET_PACKET_RATE_KILOPACKET_PER_SEC",
        "NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC", "NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC",
    ]
    public static let standardSet = Set(standard)

    /// `CUSTOM_` followed by upper-case letters, digits and underscores (placement/schemas/resource_class.py).
    public static func isValidCustom(_ name: String) -> Bool {
        name.hasPrefix("CUSTOM_") && name.count > 7 && name.count <= 255
            && name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}

/// Standard traits (os-traits; the names are in StandardTraits+Names.swift); custom traits follow the same
/// `CUSTOM_` rule as resource classes.
public enum StandardTraits {
    public static let sharesViaAggregate = "MISC_SHARES_VIA_AGGREGATE"
    public static let computeStatusDisabled = "COMPUTE_STATUS_DISABLED"

    public static let allSet = Set(all)
}
