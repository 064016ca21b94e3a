import HTTPTypes
import Hummingbird
import NovaCore

/// The request context shared by every service of the cloud.
public struct NovaRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Nova's `x-openstack-request-id` ("req-<uuid>").
    public var requestID: String = ""
    /// Set when the request carried a valid token.
    public var credentials: Credentials?
    /// The token the credentials came from (passed on in the RPC context, as Nova's request context does).
    public var authToken: String?
    /// The compute microversion negotiated for this request.
    public var apiVersion: APIVersion = .minimum
    /// The Placement microversion negotiated for this request (1.0 ... 1.39).
    public var placementVersion: APIVersion = .placementMinimum
    /// Where Placement's links start for this request: "/placement", or "" when called at the root.
    public var placementRoot = "/placement"
    /// The block-storage microversion negotiated for this request (3.0 ... 3.70).
    public var volumeVersion: APIVersion = .volumeMinimum

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Bodies up to 1 MiB are read whole (a larger one is answered 413); image uploads stream instead.
    public static let maxBodySize = 1 << 20

    public var maxUploadSize: Int { Self.maxBodySize }

    /// The caller's credentials; a request reaching a protected route without them is a programming error.
    public func caller() throws(NovaError) -> Credentials {
        guard let credentials else { throw .unauthorized("The request you have made requires authentication.") }
        return credentials
    }

    public var rpcContext: RPCContext {
        RPCContext(
            requestID: requestID, userID: credentials?.userID ?? "", projectID: credentials?.projectID ?? "",
            authToken: credentials == nil ? nil : authToken)
    }

    /// A path parameter that the route guarantees.
    public func parameter(_ name: String) -> String {
        parameters.get(name) ?? ""
    }
}
