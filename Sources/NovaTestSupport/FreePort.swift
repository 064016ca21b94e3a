import Foundation

/// A loopback TCP port nothing listens on now, chosen by the kernel (bind to port 0), for a server a test
/// starts. A random port could be taken: the throwaway PostgreSQL of the test command picks its own among
/// 20000-39999, and a client connecting to a server of the wrong kind waits for its timeout.
public func freeLoopbackPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return Int.random(in: 30000..<40000) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
        }
    }
    guard bound else { return Int.random(in: 30000..<40000) }
    return Int(UInt16(bigEndian: address.sin_port))
}
