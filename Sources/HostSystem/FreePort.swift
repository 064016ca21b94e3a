import Foundation

/// A TCP port nothing listens on now at an IPv4 address, chosen by the kernel (bind to port 0 and read it
/// back), for a server that cannot pick its own: QEMU's SPICE server takes only a given port, where libvirt
/// would allocate one for Nova. Nil when the address is not IPv4 or cannot be bound.
public enum FreePort {
    public static func pick(host: String = "127.0.0.1") -> Int? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
