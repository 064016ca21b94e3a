/// What can go wrong talking QMP: an error reply from QEMU (its class and description) or the connection.
public enum QMPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// QEMU answered the command with `{"error": {"class": ..., "desc": ...}}`.
    case command(errorClass: String, description: String)
    /// The peer sent something that is not QMP.
    case protocolViolation(String)
    /// The connection closed (QEMU exited) before the answer came.
    case connectionClosed
    case timedOut(String)

    public var description: String {
        switch self {
        case .command(let errorClass, let description): "QMP \(errorClass): \(description)"
        case .protocolViolation(let detail): "QMP protocol violation: \(detail)"
        case .connectionClosed: "QMP connection closed"
        case .timedOut(let what): "QMP timed out waiting for \(what)"
        }
    }
}
