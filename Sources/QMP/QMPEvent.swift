/// An asynchronous event from QEMU (`{"event": "SHUTDOWN", "data": {...}, "timestamp": {...}}`).
public struct QMPEvent: Sendable, Equatable {
    public var name: String
    public var data: QMPValue
    /// Seconds since the epoch, as QEMU stamped it.
    public var timestamp: Double

    public init(name: String, data: QMPValue = .object([:]), timestamp: Double = 0) {
        self.name = name
        self.data = data
        self.timestamp = timestamp
    }
}

/// The server's greeting: its version and capabilities.
public struct QMPGreeting: Sendable, Equatable {
    public var major: Int
    public var minor: Int
    public var micro: Int
    public var package: String
    public var capabilities: [String]

    public var version: String { "\(major).\(minor).\(micro)" }
}
