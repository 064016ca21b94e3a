/// What went wrong, in words a user can act on: the server's message, its HTTP status and request id.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var status: Int?
    public var requestID: String?

    public init(_ message: String, status: Int? = nil, requestID: String? = nil) {
        self.message = message
        self.status = status
        self.requestID = requestID
    }

    public var description: String {
        var text = "ERROR: \(message)"
        if let status { text += " (HTTP \(status))" }
        if let requestID { text += " (Request-ID: \(requestID))" }
        return text
    }
}
