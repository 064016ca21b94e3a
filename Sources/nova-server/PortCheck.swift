import ArgumentParser
import Foundation

/// Refuses to start a listener's process when its port is taken: a second cloud on the same machine would
/// otherwise run on and hand out console URLs that reach the first cloud's proxy.
enum PortCheck {
    /// Throws when `host:port` (an IPv4 address) cannot be bound now; `what` and `flag` name the listener and
    /// how to move it.
    static func requireFree(host: String, port: Int, what: String, flag: String) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        guard (0...65535).contains(port), inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return }
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            throw ValidationError(
                "cannot start: \(what) cannot listen on \(host):\(port) (\(String(cString: strerror(errno)))); "
                    + "another cloud or program has it. Choose another port with \(flag).")
        }
    }
}
