import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A host network device's administrative state, as `ip link set DEV up` sets it (SIOCSIFFLAGS): QEMU makes
/// a guest's tap (`script=no`) but leaves it down, and a switch cannot pass traffic through a device that is
/// down (libvirt brings the taps it makes up).
public enum LinkState {
    /// Brings `device` up; false when there is no such device or it cannot be changed.
    public static func bringUp(_ device: String) -> Bool {
        let name = Array(device.utf8.prefix(Int(IFNAMSIZ) - 1))
        let handle = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard handle >= 0 else { return false }
        defer { close(handle) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { bytes in
            for (index, byte) in name.enumerated() { bytes[index] = byte }
        }
        guard ioctl(handle, UInt(SIOCGIFFLAGS), &request) == 0 else { return false }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP)
        return ioctl(handle, UInt(SIOCSIFFLAGS), &request) == 0
    }
}
