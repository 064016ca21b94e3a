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
