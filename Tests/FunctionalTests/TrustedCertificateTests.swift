import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// `trusted_image_certificates` (2.63): validated as Nova's schema, kept and shown, replaced or removed by a
/// rebuild, and verified at spawn: a build whose image cannot be verified ends in ERROR saying why.
@Suite struct TrustedCertificateTests {
    static let compute = "/compute/v2.1"

    @Test func certificatesAreCheckedKeptAndVerifiedAtSpawn() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            func create(_ certificates: JSON, version: String = "2.63") async throws -> Reply {
                try await client.request(
                    .post, Self.compute + "/servers", token: demo, version: version,
                    body: [
                        "server": [
                            "name": "t", "flavorRef": "1", "imageRef": .string(image), "networks": "none",
                            "trusted_image_certificates": certificates,
                        ]
                    ])
            }
            func show(_ id: String) async throws -> JSON {
                let reply = try await client.request(
                    .get, Self.compute + "/servers/\(id)", token: demo, version: "2.63")
                return reply.json?["server"] ?? .null
            }
            #expect(try await create(["a"], version: "2.62").status == 400)
            #expect(try await create([]).status == 400)
            #expect(try await create(["a", "a"]).status == 400)
            #expect(try await create([""]).status == 400)
            #expect(try await create("a").status == 400)
            #expect(
                try await create(.array(Array(repeating: "x", count: 51).enumerated().map { .string("c\($0.offset)") }))
                    .status == 400)

            // The default image is unsigned: the build is aborted with cursive's reason.
            let created = try await create(["cert-1", "cert-2"])
            #expect(created.status == 202, "\(created.text)")
            let id = try #require(created.json?["server"]?["id"]?.stringValue)
            try await client.waitFor(id, status: "ERROR", token: demo)
            let failed = try await show(id)
            #expect(failed["trusted_image_certificates"] == ["cert-1", "cert-2"], "\(failed.serialized())")
            let fault = failed["fault"]?["message"]?.stringValue ?? ""
            #expect(fault.contains("Missing property: img_signature"), "\(fault)")

            // A signed image needs its certificate from a key manager, which this cloud does not run.
            let signed = try await client.request(
                .post, "/image/v2/images", token: demo,
                body: [
                    "name": "signed", "disk_format": "raw", "container_format": "bare", "img_signature": "c2ln",
                    "img_signature_hash_method": "SHA-256", "img_signature_key_type": "RSA-PSS",
                    "img_signature_certificate_uuid": "cert-1",
                ])
            let signedID = try #require(signed.json?["id"]?.stringValue, "\(signed.text)")
            let upload = try await client.request(
                .put, "/image/v2/images/\(signedID)/file", token: demo, rawBody: Array(repeating: 0, count: 512))
            #expect(upload.status == 204)
            let second = try await client.createServer(
                "s", token: demo, image: signedID,
                extra: ["trusted_image_certificates": ["cert-1"], "networks": "none"],
                version: "2.63")
            let refused = try await client.waitFor(second, status: "ERROR", token: demo)
            #expect(refused["fault"]?["message"]?.stringValue?.contains("Unable to retrieve certificate") == true)

            // Without certificates the server builds; a rebuild may set them, and null removes them again.
            let plain = try await client.createServer(
                "p", token: demo, image: image, extra: ["networks": "none"], version: "2.63")
            try await client.waitFor(plain, status: "ACTIVE", token: demo)
            let active = try await show(plain)
            #expect(active["trusted_image_certificates"] == .null)
            func rebuild(_ certificates: JSON?) async throws -> Reply {
                var body: JSONObject = ["imageRef": .string(image)]
                if let certificates { body["trusted_image_certificates"] = certificates }
                return try await client.request(
                    .post, Self.compute + "/servers/\(plain)/action", token: demo, version: "2.63",
                    body: ["rebuild": .object(body)])
            }
            let unset = try await rebuild(.null)
            #expect(unset.status == 202 && unset.json?["server"]?["trusted_image_certificates"] == .null)
            try await client.waitFor(plain, status: "ACTIVE", token: demo)
            let set = try await rebuild(["cert-9"])
            #expect(set.json?["server"]?["trusted_image_certificates"] == ["cert-9"], "\(set.text)")
            let rebuilt = try await client.waitFor(plain, status: "ERROR", token: demo)
            #expect(rebuilt["fault"]?["message"]?.stringValue?.contains("Missing property") == true)
        }
    }
}
