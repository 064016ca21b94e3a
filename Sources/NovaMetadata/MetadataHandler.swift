import Crypto
import Foundation
import NovaCore

/// Nova's metadata API behind the networking service's metadata proxy (`[neutron]
/// service_metadata_proxy`): the proxy names the instance (`X-Instance-ID`, `X-Tenant-ID`) and signs the
/// instance id with the shared secret (`X-Instance-ID-Signature`, HMAC-SHA256 in hex); unsigned or wrongly
/// signed requests are refused. Serves the OpenStack tree (`/openstack/<version>/...`) and the EC2 one
/// (`/<version>/meta-data/...`, `/<version>/user-data`).
public struct MetadataHandler: Sendable {
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]

        static func text(_ text: String, status: Int = 200) -> Answer {
            Answer(status: status, contentType: "text/plain; charset=UTF-8", body: Array(text.utf8))
        }
    }

    /// `[neutron] metadata_proxy_shared_secret`.
    public let sharedSecret: String
    /// The instance with this uuid (nil: none, or deleted).
    public let lookup: @Sendable (String) async throws -> Instance?
    /// Stores the password a guest posts for its instance (uuid, password); false when it already has one.
    public let savePassword: @Sendable (String, String) async throws -> Bool

    /// Nova's MAX_SIZE of a posted password.
    public static let maxPasswordBytes = 256

    public init(
        sharedSecret: String, lookup: @escaping @Sendable (String) async throws -> Instance?,
        savePassword: @escaping @Sendable (String, String) async throws -> Bool = { _, _ in false }
    ) {
        self.sharedSecret = sharedSecret
        self.lookup = lookup
        self.savePassword = savePassword
    }

    /// The signature the proxy sends for `instanceID`.
    public static func signature(_ instanceID: String, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data(instanceID.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    public func answer(
        method: String = "GET", path: String, body: [UInt8] = [], instanceID: String?, tenantID: String?,
        signature: String?
    ) async -> Answer {
        guard let instanceID, !instanceID.isEmpty else {
            return .text("X-Instance-ID header is missing from request.", status: 400)
        }
        guard let tenantID, !tenantID.isEmpty else {
            return .text("X-Tenant-ID header is missing from request.", status: 400)
        }
        let expected = Self.signature(instanceID, secret: sharedSecret)
        guard let signature, Self.constantTimeEqual(signature.lowercased(), expected) else {
            return .text("Invalid proxy request signature.", status: 403)
        }
        let found: Instance?
        do {
            found = try await lookup(instanceID)
        } catch {
            return .text("An unknown error has occurred. Please try your request again.", status: 503)
        }
        guard let instance = found, instance.projectID == tenantID else {
            return .text("The resource could not be found.", status: 404)
        }
        let parts = path.split(separator: "/").map(String.init)
        if parts.count == 3, parts[0] == "openstack", parts[2] == "password",
            parts[1] == "latest" || parts[1] >= Self.passwordVersion
        {
            return await password(method: method, body: body, instance)
        }
        guard method == "GET" || method == "HEAD" else { return .text("Method not allowed.", status: 405) }
        return serve(path, InstanceMetadata(instance: instance))
    }

    /// The first metadata version with `password`.
    static let passwordVersion = "2013-04-04"

    /// Nova's handle_password: GET gives the password the guest left (encrypted with its key, or empty); the
    /// guest POSTs it once (409 after), at most 256 bytes; os-server-password shows and clears it.
    func password(method: String, body: [UInt8], _ instance: Instance) async -> Answer {
        switch method {
        case "GET", "HEAD":
            return .text(instance.encryptedPassword ?? "")
        case "POST":
            if instance.encryptedPassword?.isEmpty == false {
                return .text("The password is already set.", status: 409)
            }
            guard body.count <= Self.maxPasswordBytes else { return .text("Request is too large.", status: 400) }
            do {
                guard try await savePassword(instance.uuid, String(decoding: body, as: UTF8.self)) else {
                    return .text("The password is already set.", status: 409)
                }
            } catch {
                return .text("An unknown error has occurred. Please try your request again.", status: 503)
            }
            return .text("")
        default:
            return .text("The request method is not supported.", status: 400)
        }
    }

    static func constantTimeEqual(_ first: String, _ second: String) -> Bool {
        let a = Array(first.utf8)
        let b = Array(second.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    func serve(_ path: String, _ metadata: InstanceMetadata) -> Answer {
        let parts = path.split(separator: "/").map(String.init)
        let notFound = Answer.text("The resource could not be found.", status: 404)
        guard let first = parts.first else {
            return .text((InstanceMetadata.ec2Versions + ["latest"]).joined(separator: "\n"))
        }
        if first == "openstack" {
            let files = metadata.configDriveFiles()
            guard parts.count > 1 else {
                return .text((InstanceMetadata.versions + ["latest"]).joined(separator: "\n"))
            }
            if parts[1] == "content" {
                let contents = metadata.contentFiles()
                guard parts.count == 3, let bytes = contents[parts[2]] else {
                    return parts.count == 2 && !contents.isEmpty
                        ? .text(contents.keys.sorted().joined(separator: "\n")) : notFound
                }
                return Answer(status: 200, contentType: "text/plain; charset=UTF-8", body: bytes)
            }
            let folder = "openstack/\(parts[1])/"
            if parts.count == 2 {
                var names = files.keys.filter { $0.hasPrefix(folder) }.map { String($0.dropFirst(folder.count)) }
                if !names.isEmpty, parts[1] == "latest" || parts[1] >= Self.passwordVersion { names.append("password") }
                return names.isEmpty ? notFound : .text(names.sorted().joined(separator: "\n"))
            }
            guard parts.count == 3, let bytes = files[folder + parts[2]] else { return notFound }
            let json = parts[2].hasSuffix(".json")
            return Answer(
                status: 200, contentType: json ? "application/json" : "text/plain; charset=UTF-8", body: bytes)
        }
        guard InstanceMetadata.ec2Versions.contains(first) || first == "latest" else { return notFound }
        guard parts.count > 1 else { return .text("meta-data/\n" + (metadata.userData == nil ? "" : "user-data")) }
        switch parts[1] {
        case "user-data":
            guard parts.count == 2, let data = metadata.userData else { return notFound }
            return Answer(status: 200, contentType: "text/plain; charset=UTF-8", body: data)
        case "meta-data":
            var node = EC2Value.tree(metadata.ec2MetaData())
            for name in parts.dropFirst(2) {
                guard case .tree(let tree) = node else { return notFound }
                guard let next = tree[name] else { return notFound }
                node = next
            }
            switch node {
            case .text(let text): return .text(text)
            case .tree(let tree):
                // `public-keys/` lists `0=<key name>`; `public-keys/0/` is that key's folder.
                let listing = tree.keys.sorted().compactMap { key -> String? in
                    if key.contains("=") { return key }
                    if case .tree = tree[key], tree.keys.contains(where: { $0.hasPrefix(key + "=") }) { return nil }
                    if case .tree = tree[key] { return key + "/" }
                    return key
                }
                return .text(listing.joined(separator: "\n"))
            }
        default:
            return notFound
        }
    }
}
