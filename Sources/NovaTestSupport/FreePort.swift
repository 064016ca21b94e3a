import HostSystem

/// A loopback TCP port nothing listens on now, chosen by the kernel (bind to port 0), for a server a test
/// starts. A random port could be taken: the throwaway PostgreSQL of the test command picks its own among
/// 20000-39999, and a client connecting to a server of the wrong kind waits for its timeout.
public func freeLoopbackPort() -> Int {
    FreePort.pick() ?? Int.random(in: 30000..<40000)
}
