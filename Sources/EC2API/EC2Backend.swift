import HTTPTypes
import NovaCore

/// An answer of an OpenStack API to the EC2 front end.
public struct EC2Reply: Sendable {
    public var status: Int
    public var json: JSON?
    /// Header names in lower case.
    public var headers: [String: String]

    public init(status: Int, json: JSON?, headers: [String: String] = [:]) {
        self.status = status
        self.json = json
        self.headers = headers
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The message of any OpenStack error body.
    public var message: String {
        if let first = json?.objectValue?.entries.first {
            if let message = first.1["message"]?.stringValue ?? first.1["detail"]?.stringValue { return message }
        }
        return json?["message"]?.stringValue ?? "HTTP \(status)"
    }
}

/// The services the EC2 front end calls as the user.
public enum EC2Service: String, Sendable {
    case compute, image, network, volume
}

/// How the EC2 front end reaches Keystone and the other services: in this process through the cloud's own
/// routes (the same middleware and policy a client meets), or over HTTP.
public protocol EC2Backend: Sendable {
    /// Keystone's `POST /v3/ec2tokens` with the signed request's fields.
    func ec2Token(_ body: JSON) async throws -> EC2Reply
    /// A call to a service as the user whose token it is; `path` is under the service's endpoint
    /// (`/servers/detail`), `version` the compute microversion, `contentType` the body's when it is not JSON's
    /// (Glance's JSON patch).
    func call(
        _ service: EC2Service, _ method: HTTPRequest.Method, _ path: String, token: String, body: JSON?,
        version: String?, contentType: String?
    ) async throws -> EC2Reply
}
