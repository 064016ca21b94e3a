import Foundation
import HTTPTypes
import NovaCore

/// One authenticated EC2 request: its parameters and the caller, with the calls it makes as that caller.
struct EC2Call: Sendable {
    let api: EC2API
    let params: EC2Parameters
    let token: String
    let credentials: Credentials
    /// This front end's URL (DescribeRegions' endpoint).
    let endpoint: String

    /// The service's JSON answer; an error answer as EC2 names it (`notFound` for a 404, `conflict` for a 409).
    @discardableResult
    func expect(
        _ service: EC2Service, _ method: HTTPRequest.Method, _ path: String, body: JSON? = nil,
        version: String? = nil, contentType: String? = nil, notFound: EC2Error? = nil, conflict: EC2Error? = nil
    ) async throws -> JSON {
        let reply = try await api.backend.call(
            service, method, path, token: token, body: body, version: version, contentType: contentType)
        guard reply.isSuccess else { throw Self.error(reply, notFound: notFound, conflict: conflict) }
        return reply.json ?? .null
    }

    static func error(_ reply: EC2Reply, notFound: EC2Error?, conflict: EC2Error?) -> EC2Error {
        let message = reply.message
        switch reply.status {
        case 400: return EC2Error("InvalidParameterValue", message)
        case 401: return .authFailure
        case 403, 413:
            if message.lowercased().contains("quota") { return EC2Error("InstanceLimitExceeded", message) }
            return .unauthorized(message)
        case 404: return notFound ?? EC2Error("InvalidParameterValue", message)
        case 409: return conflict ?? EC2Error("IncorrectState", message)
        default: return EC2Error("Unavailable", "The service is unavailable: \(message)", status: 503)
        }
    }

    /// `DryRun=true`: EC2's answer for whether the call would be allowed, without making it.
    func dryRun(write: Bool) throws(EC2Error) {
        guard try params.flag("DryRun") else { return }
        let allowed =
            credentials.isAdmin
            || (write
                ? ["member", "manager"].contains(where: credentials.hasRole)
                : ["reader", "member", "manager"].contains(where: credentials.hasRole))
        guard allowed else { throw .unauthorized("the caller's roles do not allow it") }
        throw EC2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status: 412)
    }

    /// The EC2 ids named `name.N`, as the UUIDs they stand for; an id of another form or never made is `notFound`.
    func uuids(_ name: String, kind: String, notFound: (String) -> EC2Error) async throws -> [(String, String)] {
        let ids = params.list(name)
        let known = try await api.store.uuids(kind: kind, ec2IDs: ids)
        return try ids.map { id in
            guard let uuid = known[id] else { throw notFound(id) }
            return (id, uuid)
        }
    }
}
