import APISupport
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NovaCore
import NovaDB

/// The EC2 Query API under `/ec2` (catalog type `ec2`), as the OpenStack ec2-api service built it: a thin
/// front end that checks each request's AWS signature through Keystone's `POST /v3/ec2tokens`, then calls
/// the compute, image, networking and block-storage APIs as that user with the token Keystone gave. No
/// business logic of its own beyond EC2's ids and reservations.
public struct EC2API: Sendable {
    let backend: any EC2Backend
    let store: EC2Store
    let clock: any WallClock
    let regionName: String
    let flavorNames = EC2FlavorNames()
    /// How far a request's timestamp may be from now: EC2's five minutes.
    static let window: TimeInterval = 300
    /// The newest API version this front end answers in, and the one it uses when a request names none.
    static let defaultVersion = "2016-11-15"

    public init(backend: any EC2Backend, store: EC2Store, clock: any WallClock, regionName: String = "RegionOne") {
        self.backend = backend
        self.store = store
        self.clock = clock
        self.regionName = regionName
    }

    public func register(on router: Router<NovaRequestContext>) {
        router.get("ec2") { request, context in await respond(request, context) }
        router.post("ec2") { request, context in await respond(request, context) }
    }

    /// Every answer is EC2's XML: the action's, or an error.
    func respond(_ request: Request, _ context: NovaRequestContext) async -> Response {
        let requestID = UUID().uuidString.lowercased()
        var version = Self.defaultVersion
        do {
            let body = try await collect(request)
            var pairs = QueryParameters(request.uri.query).pairs
            let contentType = request.headers[.contentType]?.lowercased() ?? ""
            if request.method == .post,
                contentType.isEmpty || contentType.hasPrefix("application/x-www-form-urlencoded")
            {
                pairs += QueryParameters(String(decoding: body, as: UTF8.self)).pairs
            }
            let params = EC2Parameters(pairs)
            if let asked = params["Version"] {
                guard Self.isVersion(asked) else { throw EC2Error.invalid("Version", asked, "It must be a date.") }
                version = asked
            }
            let (token, credentials) = try await authenticate(request, pairs: pairs, body: body)
            let action = try params.required("Action")
            guard let handler = Self.actions[action] else {
                throw EC2Error("InvalidAction", "The action \(action) is not valid for this web service.")
            }
            let call = EC2Call(
                api: self, params: params, token: token, credentials: credentials,
                endpoint: request.baseURL(fallback: "") + "/ec2")
            let children = try await handler(call)
            return Self.xml(XMLNode.document(action: action, version: version, requestID: requestID, children), 200)
        } catch let error as EC2Error {
            return Self.xml(error.document(requestID: requestID), error.status)
        } catch {
            let failure = Self.ec2Error(error)
            return Self.xml(failure.document(requestID: requestID), failure.status)
        }
    }

    func collect(_ request: Request) async throws -> [UInt8] {
        do {
            return Array(try await request.body.collect(upTo: NovaRequestContext.maxBodySize).readableBytesView)
        } catch {
            throw EC2Error(
                "RequestLimitExceeded", "The request is larger than \(NovaRequestContext.maxBodySize) bytes.")
        }
    }

    static func isVersion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [4, 2, 2] && parts.allSatisfy { $0.allSatisfy(\.isASCII) }
            && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
    }

    static func xml(_ text: [UInt8], _ status: Int) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "text/xml;charset=UTF-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
    }

    /// What an error of the services below becomes.
    static func ec2Error(_ error: any Error) -> EC2Error {
        guard let nova = error as? NovaError else {
            return EC2Error("Unavailable", "The service is unavailable: \(error)", status: 503)
        }
        switch nova.code.status {
        case 400: return EC2Error("InvalidParameterValue", nova.message)
        case 401: return .authFailure
        case 403: return .unauthorized(nova.message)
        case 404: return EC2Error("InvalidParameterValue", nova.message)
        case 409: return EC2Error("IncorrectState", nova.message)
        default: return EC2Error("Unavailable", nova.message, status: 503)
        }
    }

    /// The actions this front end answers.
    static let actions: [String: @Sendable (EC2Call) async throws -> [XMLNode]] = [
        "DescribeRegions": { try await $0.describeRegions() },
        "DescribeAvailabilityZones": { try await $0.describeAvailabilityZones() },
        "DescribeInstanceTypes": { try await $0.describeInstanceTypes() },
        "DescribeAccountAttributes": { try await $0.describeAccountAttributes() },
        "CreateKeyPair": { try await $0.createKeyPair() },
        "ImportKeyPair": { try await $0.importKeyPair() },
        "DescribeKeyPairs": { try await $0.describeKeyPairs() },
        "DeleteKeyPair": { try await $0.deleteKeyPair() },
        "DescribeImages": { try await $0.describeImages() },
        "RunInstances": { try await $0.runInstances() },
        "DescribeInstances": { try await $0.describeInstances() },
        "DescribeInstanceStatus": { try await $0.describeInstanceStatus() },
        "TerminateInstances": { try await $0.terminateInstances() },
        "StopInstances": { try await $0.changeInstances(.stop) },
        "StartInstances": { try await $0.changeInstances(.start) },
        "RebootInstances": { try await $0.rebootInstances() },
        "GetConsoleOutput": { try await $0.getConsoleOutput() },
        "DescribeInstanceAttribute": { try await $0.describeInstanceAttribute() },
        "ModifyInstanceAttribute": { try await $0.modifyInstanceAttribute() },
        "CreateImage": { try await $0.createImage() },
        "DeregisterImage": { try await $0.deregisterImage() },
        "DescribeImageAttribute": { try await $0.describeImageAttribute() },
        "CreateTags": { try await $0.createTags() },
        "DeleteTags": { try await $0.deleteTags() },
        "DescribeTags": { try await $0.describeTags() },
        "CreateVolume": { try await $0.createVolume() },
        "DescribeVolumes": { try await $0.describeVolumes() },
        "AttachVolume": { try await $0.attachVolume() },
        "DetachVolume": { try await $0.detachVolume() },
        "DeleteVolume": { try await $0.deleteVolume() },
        "CreateSnapshot": { try await $0.createSnapshot() },
        "DescribeSnapshots": { try await $0.describeSnapshots() },
        "DeleteSnapshot": { try await $0.deleteSnapshot() },
        "DescribeVpcs": { try await $0.describeVpcs() },
        "DescribeSubnets": { try await $0.describeSubnets() },
        "AllocateAddress": { try await $0.allocateAddress() },
        "AssociateAddress": { try await $0.associateAddress() },
        "DisassociateAddress": { try await $0.disassociateAddress() },
        "ReleaseAddress": { try await $0.releaseAddress() },
        "DescribeAddresses": { try await $0.describeAddresses() },
        "CreateSecurityGroup": { try await $0.createSecurityGroup() },
        "DeleteSecurityGroup": { try await $0.deleteSecurityGroup() },
        "DescribeSecurityGroups": { try await $0.describeSecurityGroups() },
        "AuthorizeSecurityGroupIngress": { try await $0.authorize(direction: "ingress") },
        "AuthorizeSecurityGroupEgress": { try await $0.authorize(direction: "egress") },
        "RevokeSecurityGroupIngress": { try await $0.revoke(direction: "ingress") },
        "RevokeSecurityGroupEgress": { try await $0.revoke(direction: "egress") },
    ]
}
