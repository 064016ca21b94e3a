import Foundation
import NovaCore
import NovaMetadata
import Testing

/// What a guest reads about itself, from the metadata service or its config drive.
@Suite struct InstanceMetadataTests {
    static func instance() -> Instance {
        var instance = Instance(
            uuid: "8e3bc6f4-6a71-4a4e-9d2b-0c9a1f0f6e11", displayName: "web 1", projectID: "p1", userID: "u1",
            flavor: Flavor(id: "1", name: "m1.tiny", vcpus: 1, memoryMB: 512, rootGB: 1), imageRef: "img-1",
            createdAt: Date(timeIntervalSince1970: 0), reservationID: "r-1")
        instance.hostname = "web-1"
        instance.keyName = "k"
        instance.keyData = "ssh-ed25519 AAAA test"
        instance.metadata = ["role": "web"]
        instance.userData = Data("#!/bin/sh\necho hi\n".utf8).base64EncodedString()
        instance.vifs = [GuestVIF(portID: "0123456789abcdef", mac: "fa:16:3e:00:00:01", type: "ovs")]
        instance.addresses = [
            FixedAddress(network: "private", address: "10.0.0.5", mac: "fa:16:3e:00:00:01", portID: "0123456789abcdef")
        ]
        instance.addresses?[0].floating = ["172.24.4.9"]
        return instance
    }

    @Test func metaDataCarriesWhoTheGuestIsAndItsKeys() throws {
        let json = InstanceMetadata(instance: Self.instance()).metaData()
        #expect(json["uuid"] == "8e3bc6f4-6a71-4a4e-9d2b-0c9a1f0f6e11")
        #expect(json["hostname"] == "web-1")
        #expect(json["name"] == "web 1")
        #expect(json["project_id"] == "p1")
        #expect(json["public_keys"]?["k"] == "ssh-ed25519 AAAA test")
        #expect(json["meta"]?["role"] == "web")
        // 2012-08-10 had no project_id.
        #expect(InstanceMetadata(instance: Self.instance()).metaData(version: "2012-08-10")["project_id"] == nil)
    }

    @Test func theConfigDriveHasEveryVersionAndTheUserDataDecoded() throws {
        let files = InstanceMetadata(instance: Self.instance()).configDriveFiles()
        #expect(files["openstack/latest/user_data"] == Array("#!/bin/sh\necho hi\n".utf8))
        #expect(files["openstack/2012-08-10/meta_data.json"] != nil)
        #expect(files["openstack/2012-08-10/network_data.json"] == nil)
        let network = try #require(files["openstack/latest/network_data.json"].flatMap { JSON.parse($0) })
        #expect(network["links"]?.arrayValue?.first?["ethernet_mac_address"] == "fa:16:3e:00:00:01")
        #expect(network["networks"]?.arrayValue?.first?["type"] == "ipv4_dhcp")
        let ec2 = try #require(files["ec2/latest/meta-data.json"].flatMap { JSON.parse($0) })
        #expect(ec2["local-ipv4"] == "10.0.0.5")
        #expect(ec2["public-ipv4"] == "172.24.4.9")
        #expect(ec2["public-keys"]?["0"]?["openssh-key"] == "ssh-ed25519 AAAA test")
        #expect(ec2["instance-id"]?.stringValue?.hasPrefix("i-") == true)
    }
}

/// The metadata API behind the networking service's proxy: signed requests only.
@Suite struct MetadataHandlerTests {
    static let handler = MetadataHandler(sharedSecret: "s3cret") { uuid in
        uuid == InstanceMetadataTests.instance().uuid ? InstanceMetadataTests.instance() : nil
    }
    static let uuid = InstanceMetadataTests.instance().uuid

    static func get(_ path: String, signature: String? = nil, tenant: String = "p1") async -> MetadataHandler.Answer {
        await handler.answer(
            path: path, instanceID: uuid, tenantID: tenant,
            signature: signature ?? MetadataHandler.signature(uuid, secret: "s3cret"))
    }

    @Test func unsignedOrWronglySignedRequestsAreRefused() async {
        let unsigned = await Self.handler.answer(
            path: "/openstack/latest/meta_data.json", instanceID: Self.uuid, tenantID: "p1", signature: nil)
        #expect(unsigned.status == 403)
        #expect(await Self.get("/openstack/latest/meta_data.json", signature: "00").status == 403)
        let wrongSecret = MetadataHandler.signature(Self.uuid, secret: "other")
        #expect(await Self.get("/openstack/latest/meta_data.json", signature: wrongSecret).status == 403)
        let anonymous = await Self.handler.answer(path: "/", instanceID: nil, tenantID: nil, signature: nil)
        #expect(anonymous.status == 400)
        // Another project's instance is not found.
        #expect(await Self.get("/openstack/latest/meta_data.json", tenant: "p2").status == 404)
    }

    @Test func theOpenStackAndEC2TreesAreServed() async throws {
        let meta = await Self.get("/openstack/latest/meta_data.json")
        #expect(meta.status == 200 && meta.contentType == "application/json")
        #expect(JSON.parse(meta.body)?["hostname"] == "web-1")
        let versions = String(decoding: await Self.get("/openstack").body, as: UTF8.self)
        #expect(versions.hasPrefix("2012-08-10\n") && versions.hasSuffix("\nlatest"))
        #expect(await Self.get("/openstack/latest/user_data").body == Array("#!/bin/sh\necho hi\n".utf8))
        #expect(String(decoding: await Self.get("/latest/meta-data/local-ipv4").body, as: UTF8.self) == "10.0.0.5")
        #expect(
            String(decoding: await Self.get("/2009-04-04/meta-data/public-ipv4").body, as: UTF8.self) == "172.24.4.9")
        #expect(
            String(decoding: await Self.get("/latest/meta-data/public-keys/0/openssh-key").body, as: UTF8.self)
                == "ssh-ed25519 AAAA test")
        let keys = String(decoding: await Self.get("/latest/meta-data/public-keys/").body, as: UTF8.self)
        #expect(keys == "0=k")
        let listing = String(decoding: await Self.get("/latest/meta-data/").body, as: UTF8.self)
        #expect(listing.contains("instance-id") && listing.contains("placement/") && listing.contains("public-keys/"))
        #expect(await Self.get("/latest/meta-data/nothing").status == 404)
        #expect(await Self.get("/1999-01-01/meta-data/").status == 404)
    }
}

/// A guest posting its password (encrypted with its key pair, as cloudbase-init does): once, at most 256 bytes.
@Suite struct MetadataPasswordTests {
    actor Stored {
        var password: String?
        func save(_ text: String) -> Bool {
            guard password == nil else { return false }
            password = text
            return true
        }
    }

    @Test func theGuestPostsItsPasswordOnce() async {
        let stored = Stored()
        let handler = MetadataHandler(sharedSecret: "s3cret") { uuid in
            guard uuid == InstanceMetadataTests.instance().uuid else { return nil }
            var instance = InstanceMetadataTests.instance()
            instance.encryptedPassword = await stored.password
            return instance
        } savePassword: { _, text in
            await stored.save(text)
        }
        let uuid = InstanceMetadataTests.instance().uuid
        func call(_ method: String, _ path: String, _ body: String = "") async -> MetadataHandler.Answer {
            await handler.answer(
                method: method, path: path, body: Array(body.utf8), instanceID: uuid, tenantID: "p1",
                signature: MetadataHandler.signature(uuid, secret: "s3cret"))
        }
        let listing = String(decoding: await call("GET", "/openstack/latest").body, as: UTF8.self)
        #expect(listing.split(separator: "\n").contains("password"), "\(listing)")
        #expect(await call("GET", "/openstack/latest/password").body.isEmpty)
        #expect(await call("POST", "/openstack/2012-08-10/password", "x").status == 405)
        #expect(await call("POST", "/openstack/latest/password", String(repeating: "x", count: 257)).status == 400)
        #expect(await call("POST", "/openstack/latest/password", "ZW5jcnlwdGVk").status == 200)
        #expect(await call("POST", "/openstack/2013-04-04/password", "again").status == 409)
        #expect(String(decoding: await call("GET", "/openstack/latest/password").body, as: UTF8.self) == "ZW5jcnlwdGVk")
        #expect(await call("DELETE", "/openstack/latest/password").status == 400)
        #expect(await call("POST", "/openstack/latest/meta_data.json").status == 405)
    }
}

/// A server's personality (until 2.57): listed in meta_data.json, its contents under `openstack/content/`.
@Suite struct PersonalityTests {
    @Test func filesReachTheConfigDriveAndTheMetadataService() async throws {
        var instance = InstanceMetadataTests.instance()
        instance.personality = [
            InjectedFile(path: "/etc/motd", contents: Data("hello\n".utf8).base64EncodedString()),
            InjectedFile(path: "/root/b", contents: Data([0, 1, 2]).base64EncodedString()),
        ]
        let metadata = InstanceMetadata(instance: instance)
        let files = metadata.metaData()["files"]?.arrayValue ?? []
        #expect(files.map { $0["path"] } == ["/etc/motd", "/root/b"])
        #expect(files.map { $0["content_path"] } == ["/content/0000", "/content/0001"])
        let drive = metadata.configDriveFiles()
        #expect(drive["openstack/content/0000"] == Array("hello\n".utf8))
        #expect(drive["openstack/content/0001"] == [0, 1, 2])
        let served = instance
        let handler = MetadataHandler(sharedSecret: "s3cret") { _ in served }
        let answer = await handler.answer(
            path: "/openstack/content/0000", instanceID: instance.uuid, tenantID: "p1",
            signature: MetadataHandler.signature(instance.uuid, secret: "s3cret"))
        #expect(answer.status == 200 && answer.body == Array("hello\n".utf8))
    }

    @Test func personalityIsCheckedAsNovaChecksIt() throws {
        let limits = QuotaLimits()
        let file: JSON = ["path": "/etc/x", "contents": "aGk="]
        #expect(try InjectedFile.parse([file], limits: limits)?.count == 1)
        #expect(throws: NovaError.self) { try InjectedFile.parse([["path": "/x", "contents": "@@@"]], limits: limits) }
        #expect(throws: NovaError.self) {
            try InjectedFile.parse(.array(Array(repeating: file, count: 6)), limits: limits)
        }
        let long: JSON = ["path": .string("/" + String(repeating: "a", count: 300)), "contents": "aGk="]
        do {
            _ = try InjectedFile.parse([long], limits: limits)
            Issue.record("a 301-byte path was accepted")
        } catch {
            #expect(error.code.status == 403 && error.message.contains("255"))
        }
    }
}
