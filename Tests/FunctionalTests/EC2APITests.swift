import Foundation
import HTTPTypes
import IdentityService
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// The EC2 Query API under `/ec2`: requests signed with an EC2 key pair (AWS Signature Version 4, as botocore
/// signs a POST), checked through Keystone's ec2tokens, acting as the key pair's user in its project. The
/// client scenario runs the same with the real awscli and boto3.
@Suite struct EC2APITests {
    struct Signer {
        var access: String
        var secret: String
        var host = "ec2.test"

        /// A POST of `params` form-encoded, signed as botocore signs it (at `date`).
        func sign(_ params: [String: String], at date: Date = Date()) throws -> (body: [UInt8], headers: HTTPFields) {
            let body = params.keys.sorted().map {
                "\(PercentEncoding.encode($0))=\(PercentEncoding.encode(params[$0] ?? ""))"
            }.joined(separator: "&")
            var headers: HTTPFields = [HTTPField.Name("Host")!: host]
            for (name, value) in try EC2Signature.signedPostHeaders(
                access: access, secret: secret, host: host, path: "/ec2", body: body, date: date)
            {
                headers[HTTPField.Name(name)!] = value
            }
            return (Array(body.utf8), headers)
        }
    }

    /// An EC2 key pair of the token's user in its project (`openstack ec2 credentials create`).
    static func keyPair(_ client: CloudClient, token: String) async throws -> Signer {
        let who = try await IdentityCredentialTests.who(client, token)
        let created = try await client.request(
            .post, "/identity/v3/users/\(who.user)/credentials/OS-EC2", token: token,
            body: ["tenant_id": .string(who.project)])
        return Signer(
            access: try #require(created.json?["credential"]?["access"]?.stringValue),
            secret: try #require(created.json?["credential"]?["secret"]?.stringValue))
    }

    static func ec2(_ client: CloudClient, _ signer: Signer, _ params: [String: String], at date: Date = Date())
        async throws -> Reply
    {
        var all = params
        all["Version"] = all["Version"] ?? "2016-11-15"
        let signed = try signer.sign(all, at: date)
        return try await client.request(.post, "/ec2", rawBody: signed.body, headers: signed.headers)
    }

    /// Every `<name>value</name>` of an answer.
    static func values(_ name: String, in text: String) -> [String] {
        let parts = text.components(separatedBy: "<\(name)>").dropFirst()
        return parts.compactMap { $0.components(separatedBy: "</\(name)>").first }
    }

    static func errorCode(_ reply: Reply) -> String? { values("Code", in: reply.text).first }

    @Test func signedRequestsActAsTheKeyPairsUser() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let signer = try await Self.keyPair(client, token: demo)
            let regions = try await Self.ec2(client, signer, ["Action": "DescribeRegions"])
            #expect(regions.status == 200, "\(regions.text)")
            #expect(
                regions.text.contains("<DescribeRegionsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"))
            #expect(Self.values("regionName", in: regions.text) == ["RegionOne"])

            // Refusals, as EC2 writes them.
            var wrong = signer
            wrong.secret = "not-the-secret"
            let mismatch = try await Self.ec2(client, wrong, ["Action": "DescribeRegions"])
            #expect(mismatch.status == 403 && Self.errorCode(mismatch) == "SignatureDoesNotMatch", "\(mismatch.text)")
            var unknown = signer
            unknown.access = "no-such-access-key"
            let stranger = try await Self.ec2(client, unknown, ["Action": "DescribeRegions"])
            #expect(stranger.status == 401 && Self.errorCode(stranger) == "AuthFailure", "\(stranger.text)")
            let stale = try await Self.ec2(
                client, signer, ["Action": "DescribeRegions"], at: Date().addingTimeInterval(-600))
            #expect(stale.status == 400 && Self.errorCode(stale) == "RequestExpired", "\(stale.text)")
            let unsigned = try await client.request(
                .post, "/ec2", rawBody: Array("Action=DescribeRegions".utf8),
                headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(unsigned.status == 401 && Self.errorCode(unsigned) == "AuthFailure")
            let action = try await Self.ec2(client, signer, ["Action": "LaunchRockets"])
            #expect(action.status == 400 && Self.errorCode(action) == "InvalidAction")
            let missing = try await Self.ec2(client, signer, ["Action": "CreateKeyPair"])
            #expect(Self.errorCode(missing) == "MissingParameter")
            #expect(missing.text.contains("<RequestID>"))

            // A revoked key pair signs nothing more.
            let who = try await IdentityCredentialTests.who(client, demo)
            let revoked = try await client.request(
                .delete, "/identity/v3/users/\(who.user)/credentials/OS-EC2/\(signer.access)", token: demo)
            #expect(revoked.status == 204)
            let after = try await Self.ec2(client, signer, ["Action": "DescribeRegions"])
            #expect(after.status == 401 && Self.errorCode(after) == "AuthFailure")
        }
    }

    /// InstanceType names a flavor the caller sees now: one made since the last RunInstances is known at once,
    /// one deleted since is refused.
    @Test func instanceTypesFollowTheFlavors() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let signer = try await Self.keyPair(client, token: demo)
            let images = try await Self.ec2(client, signer, ["Action": "DescribeImages"])
            let image = try #require(Self.values("imageId", in: images.text).first, "\(images.text)")
            func run(_ type: String) async throws -> Reply {
                try await Self.ec2(client, signer, ["Action": "RunInstances", "ImageId": image, "InstanceType": type])
            }
            #expect(try await run("m1.tiny").status == 200)
            #expect(Self.errorCode(try await run("x1.new")) == "InvalidParameterValue")
            let flavor: JSON = ["flavor": ["name": "x1.new", "ram": 256, "vcpus": 1, "disk": 1, "id": "x1"]]
            #expect(try await client.request(.post, "/compute/v2.1/flavors", token: admin, body: flavor).status == 200)
            let made = try await run("x1.new")
            #expect(made.status == 200, "\(made.text)")
            #expect(try await client.request(.delete, "/compute/v2.1/flavors/x1", token: admin).status == 202)
            let gone = try await run("x1.new")
            #expect(Self.errorCode(gone) == "InvalidParameterValue", "\(gone.text)")
        }
    }

    @Test func instancesRunAreDescribedStoppedAndTerminated() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let signer = try await Self.keyPair(client, token: demo)
            let images = try await Self.ec2(client, signer, ["Action": "DescribeImages"])
            let image = try #require(Self.values("imageId", in: images.text).first, "\(images.text)")
            #expect(image.hasPrefix("ami-") && image.count == 21)
            #expect(Self.values("name", in: images.text).contains("tiny-boot-sector"))
            let types = try await Self.ec2(client, signer, ["Action": "DescribeInstanceTypes"])
            #expect(Self.values("instanceType", in: types.text).contains("m1.tiny"))

            let run: [String: String] = [
                "Action": "RunInstances", "ImageId": image, "InstanceType": "m1.tiny", "MinCount": "2",
                "MaxCount": "2", "ClientToken": "once", "TagSpecification.1.ResourceType": "instance",
                "TagSpecification.1.Tag.1.Key": "role", "TagSpecification.1.Tag.1.Value": "web",
            ]
            let dry = try await Self.ec2(client, signer, run.merging(["DryRun": "true"]) { _, new in new })
            #expect(dry.status == 412 && Self.errorCode(dry) == "DryRunOperation", "\(dry.text)")
            let ran = try await Self.ec2(client, signer, run)
            #expect(ran.status == 200, "\(ran.text)")
            let reservation = try #require(Self.values("reservationId", in: ran.text).first)
            let ids = Self.values("instanceId", in: ran.text)
            #expect(ids.count == 2 && ids.allSatisfy { $0.hasPrefix("i-") && $0.count == 19 })
            let again = try await Self.ec2(client, signer, run)
            #expect(
                Self.values("reservationId", in: again.text) == [reservation], "the same token: the same reservation")
            #expect(Set(Self.values("instanceId", in: again.text)) == Set(ids))

            var running: Reply?
            for _ in 0..<100 {
                running = try await Self.ec2(
                    client, signer,
                    [
                        "Action": "DescribeInstances", "Filter.1.Name": "instance-state-name",
                        "Filter.1.Value.1": "running",
                    ])
                if Self.values("instanceId", in: running?.text ?? "").count == 2 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(Set(Self.values("instanceId", in: running?.text ?? "")) == Set(ids), "\(running?.text ?? "")")
            let tagged = try await Self.ec2(
                client, signer, ["Action": "DescribeInstances", "Filter.1.Name": "tag:role", "Filter.1.Value.1": "w*"])
            #expect(Self.values("instanceId", in: tagged.text).count == 2)
            let paged = try await Self.ec2(client, signer, ["Action": "DescribeInstances", "MaxResults": "5"])
            #expect(Self.values("nextToken", in: paged.text).isEmpty)
            let badFilter = try await Self.ec2(
                client, signer, ["Action": "DescribeInstances", "Filter.1.Name": "no-such", "Filter.1.Value.1": "x"])
            #expect(Self.errorCode(badFilter) == "InvalidParameterValue")
            let unknown = try await Self.ec2(
                client, signer, ["Action": "DescribeInstances", "InstanceId.1": "i-0123456789abcdef0"])
            #expect(Self.errorCode(unknown) == "InvalidInstanceID.NotFound")

            // Another project's member sees none of them.
            let admin = try await client.adminToken()
            let adminSigner = try await Self.keyPair(client, token: admin)
            let theirs = try await Self.ec2(client, adminSigner, ["Action": "DescribeInstances"])
            #expect(Self.values("instanceId", in: theirs.text).isEmpty, "\(theirs.text)")
            let notTheirs = try await Self.ec2(
                client, adminSigner, ["Action": "TerminateInstances", "InstanceId.1": ids[0]])
            #expect(Self.errorCode(notTheirs) == "InvalidInstanceID.NotFound")

            let stopped = try await Self.ec2(client, signer, ["Action": "StopInstances", "InstanceId.1": ids[0]])
            #expect(Self.values("name", in: stopped.text) == ["stopping", "running"], "\(stopped.text)")
            let console = try await Self.ec2(client, signer, ["Action": "GetConsoleOutput", "InstanceId": ids[1]])
            let output = try #require(Self.values("output", in: console.text).first)
            #expect(Data(base64Encoded: output).map { String(decoding: $0, as: UTF8.self) }?.isEmpty == false)

            let terminated = try await Self.ec2(
                client, signer, ["Action": "TerminateInstances", "InstanceId.1": ids[0], "InstanceId.2": ids[1]])
            #expect(Self.values("code", in: terminated.text).filter { $0 == "32" }.count == 2, "\(terminated.text)")
            var gone: Reply?
            for _ in 0..<100 {
                gone = try await Self.ec2(client, signer, ["Action": "DescribeInstances"])
                if Self.values("name", in: gone?.text ?? "").filter({ $0 == "terminated" }).count == 2 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(
                Self.values("name", in: gone?.text ?? "").filter { $0 == "terminated" }.count == 2,
                "terminated instances stay visible: \(gone?.text ?? "")")
            // Each server keeps its id; a new one gets another, never a terminated one's.
            let next = try await Self.ec2(
                client, signer,
                run.merging(["ClientToken": "twice", "MinCount": "1", "MaxCount": "1"]) { _, new in new })
            let nextID = try #require(Self.values("instanceId", in: next.text).first, "\(next.text)")
            #expect(!ids.contains(nextID))
        }
    }

    @Test func keyPairsAreTheComputeAPIsKeyPairs() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let signer = try await Self.keyPair(client, token: demo)
            let created = try await Self.ec2(client, signer, ["Action": "CreateKeyPair", "KeyName": "k1"])
            #expect(Self.values("keyMaterial", in: created.text).first?.contains("PRIVATE KEY") == true)
            let twice = try await Self.ec2(client, signer, ["Action": "CreateKeyPair", "KeyName": "k1"])
            #expect(Self.errorCode(twice) == "InvalidKeyPair.Duplicate", "\(twice.text)")
            let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJm4xVqN1Ie6SbZNSVu2tkXqyJWUVh4eYSqSVcQoJUw test"
            let imported = try await Self.ec2(
                client, signer,
                [
                    "Action": "ImportKeyPair", "KeyName": "k2",
                    "PublicKeyMaterial": Data(key.utf8).base64EncodedString(),
                ])
            #expect(imported.status == 200, "\(imported.text)")
            let listed = try await client.request(.get, "/compute/v2.1/os-keypairs", token: demo)
            let names = listed.json?["keypairs"]?.arrayValue?.compactMap { $0["keypair"]?["name"]?.stringValue }
            #expect(Set(names ?? []) == ["k1", "k2"])
            let described = try await Self.ec2(client, signer, ["Action": "DescribeKeyPairs", "KeyName.1": "k2"])
            #expect(Self.values("keyName", in: described.text) == ["k2"])
            let absent = try await Self.ec2(client, signer, ["Action": "DescribeKeyPairs", "KeyName.1": "k9"])
            #expect(Self.errorCode(absent) == "InvalidKeyPair.NotFound")
            for name in ["k1", "k2", "never-there"] {
                let deleted = try await Self.ec2(client, signer, ["Action": "DeleteKeyPair", "KeyName": name])
                #expect(Self.values("return", in: deleted.text) == ["true"])
            }
            let after = try await client.request(.get, "/compute/v2.1/os-keypairs", token: demo)
            #expect(after.json?["keypairs"]?.arrayValue?.isEmpty == true)
        }
    }
}
