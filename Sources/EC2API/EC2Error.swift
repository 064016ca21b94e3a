import NovaCore

/// An error as EC2 writes it: a code clients switch on, a message, and the HTTP status.
public struct EC2Error: Error, Sendable, Equatable {
    public var code: String
    public var message: String
    public var status: Int

    public init(_ code: String, _ message: String, status: Int = 400) {
        self.code = code
        self.message = message
        self.status = status
    }

    static func missing(_ name: String) -> EC2Error {
        EC2Error("MissingParameter", "The request must contain the parameter \(name)")
    }

    static func invalid(_ name: String, _ value: String, _ why: String) -> EC2Error {
        EC2Error("InvalidParameterValue", "Value (\(value)) for parameter \(name) is invalid. \(why)")
    }

    static let authFailure = EC2Error(
        "AuthFailure", "AWS was not able to validate the provided access credentials", status: 401)

    static func unauthorized(_ what: String) -> EC2Error {
        EC2Error("UnauthorizedOperation", "You are not authorized to perform this operation: \(what)", status: 403)
    }

    /// `<Response><Errors><Error>...</Error></Errors><RequestID>...</RequestID></Response>`.
    func document(requestID: String) -> [UInt8] {
        var output = Array((XMLNode.declaration + "<Response><Errors><Error>").utf8)
        XMLNode.text("Code", code).write(into: &output)
        XMLNode.text("Message", message).write(into: &output)
        output += "</Error></Errors>".utf8
        XMLNode.text("RequestID", requestID).write(into: &output)
        output += "</Response>".utf8
        return output
    }
}
