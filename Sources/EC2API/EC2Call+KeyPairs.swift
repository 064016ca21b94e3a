import Foundation
import NovaCore

/// CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair: the compute API's key pairs, the same ones
/// `openstack keypair list` shows.
extension EC2Call {
    func keyPairID(_ name: String) async throws -> String {
        try await api.store.ec2ID(kind: "key", uuid: credentials.userID + ":" + name)
    }

    func keyPairNodes(_ keypair: JSON, withMaterial: Bool) async throws -> [XMLNode] {
        let name = keypair["name"]?.stringValue ?? ""
        var nodes: [XMLNode] = [
            .text("keyPairId", try await keyPairID(name)), .text("keyName", name),
            .text("keyFingerprint", keypair["fingerprint"]?.stringValue ?? ""),
        ]
        if withMaterial, let material = keypair["private_key"]?.stringValue {
            nodes.append(.text("keyMaterial", material))
        }
        return nodes
    }

    func createKeyPair() async throws -> [XMLNode] {
        let name = try params.required("KeyName")
        try dryRun(write: true)
        let created = try await expect(
            .compute, .post, "/os-keypairs", body: ["keypair": ["name": .string(name)]],
            conflict: EC2Error("InvalidKeyPair.Duplicate", "The keypair '\(name)' already exists."))
        return try await keyPairNodes(created["keypair"] ?? .null, withMaterial: true)
    }

    func importKeyPair() async throws -> [XMLNode] {
        let name = try params.required("KeyName")
        let material = try params.required("PublicKeyMaterial")
        // The clients send the key file base64-encoded (a blob); a key given as text is taken as it is.
        let publicKey =
            Data(base64Encoded: material).flatMap { String(data: $0, encoding: .utf8) }?.trimmingCharacters(
                in: .whitespacesAndNewlines) ?? material
        try dryRun(write: true)
        let imported = try await expect(
            .compute, .post, "/os-keypairs",
            body: ["keypair": ["name": .string(name), "public_key": .string(publicKey)]],
            conflict: EC2Error("InvalidKeyPair.Duplicate", "The keypair '\(name)' already exists."))
        return try await keyPairNodes(imported["keypair"] ?? .null, withMaterial: false)
    }

    func describeKeyPairs() async throws -> [XMLNode] {
        try dryRun(write: false)
        let listed = try await expect(.compute, .get, "/os-keypairs")["keypairs"]?.arrayValue ?? []
        let keypairs = listed.compactMap { $0["keypair"] }
        let names = params.list("KeyName")
        if let missing = names.first(where: { name in !keypairs.contains { $0["name"]?.stringValue == name } }) {
            throw EC2Error("InvalidKeyPair.NotFound", "The key pair '\(missing)' does not exist")
        }
        let filters = try params.filters()
        var items: [[XMLNode]] = []
        for keypair in keypairs {
            let name = keypair["name"]?.stringValue ?? ""
            if !names.isEmpty, !names.contains(name) { continue }
            let matches = filters.allSatisfy { filter in
                switch filter.name {
                case "key-name": filter.values.contains(name)
                case "fingerprint": filter.values.contains(keypair["fingerprint"]?.stringValue ?? "")
                default: false
                }
            }
            if matches { items.append(try await keyPairNodes(keypair, withMaterial: false)) }
        }
        return [.set("keySet", items)]
    }

    func deleteKeyPair() async throws -> [XMLNode] {
        let name = try params.required("KeyName")
        try dryRun(write: true)
        // EC2 answers true for a key pair that is not there.
        let reply = try await api.backend.call(
            .compute, .delete, "/os-keypairs/" + PercentEncoding.encode(name), token: token, body: nil, version: nil,
            contentType: nil)
        guard reply.isSuccess || reply.status == 404 else { throw Self.error(reply, notFound: nil, conflict: nil) }
        return [.text("return", "true")]
    }
}
