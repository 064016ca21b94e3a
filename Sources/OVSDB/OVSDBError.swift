/// What an OVSDB call can fail with.
public enum OVSDBError: Error, Equatable, Sendable {
    /// The server answered the call with an error (`{"error": ..., "details": ...}`).
    case rpc(error: String, details: String)
    /// Operation `index` of a transaction failed (a constraint, a missing row...); the transaction changed
    /// nothing.
    case transaction(index: Int, error: String, details: String)
    case connectionClosed
    case timedOut(String)
    case protocolViolation(String)
}
