import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// The EC2 API on the cloud's other resources: tags, images made from instances, instance attributes, volumes
/// and snapshots, VPCs and subnets (networks), security groups and addresses (floating IPs).
@Suite struct EC2ResourceTests {
    typealias EC2 = EC2APITests

    /// Polls an EC2 call until `done` holds for its answer (about five seconds at most).
    static func poll(
        _ client: CloudClient, _ signer: EC2.Signer, _ params: [String: String], until done: (String) -> Bool
    ) async throws -> String {
        var text = ""
        for _ in 0..<100 {
            text = try await EC2.ec2(client, signer, params).text
            if done(text) { return text }
            try await Task.sleep(for: .milliseconds(50))
        }
        return text
    }

    /// One running instance of the demo project, with its EC2 id.
    static func running(_ client: CloudClient, _ signer: EC2.Signer, extra: [String: String] = [:]) async throws
        -> String
    {
        let images = try await EC2.ec2(client, signer, ["Action": "DescribeImages"])
        let image = try #require(EC2.values("imageId", in: images.text).first)
        var run = [
            "Action": "RunInstances", "ImageId": image, "InstanceType": "m1.tiny", "MinCount": "1", "MaxCount": "1",
        ]
        run.merge(extra) { _, new in new }
        let ran = try await EC2.ec2(client, signer, run)
        let id = try #require(EC2.values("instanceId", in: ran.text).first, "\(ran.text)")
        _ = try await poll(client, signer, ["Action": "DescribeInstances", "InstanceId.1": id]) {
            EC2.values("name", in: $0).contains("running")
        }
        return id
    }

    @Test func tagsImagesAndAttributes() async throws {
        // Two hosts: a resize goes to another host, as Nova's does by default.
        try await withCloud(fakeHosts: 2) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let signer = try await EC2.keyPair(client, token: demo)
            let instance = try await Self.running(
                client, signer, extra: ["UserData": Data("hello".utf8).base64EncodedString()])
            let tagged = try await EC2.ec2(
                client, signer,
                ["Action": "CreateTags", "ResourceId.1": instance, "Tag.1.Key": "env", "Tag.1.Value": "prod"])
            #expect(EC2.values("return", in: tagged.text) == ["true"], "\(tagged.text)")
            let described = try await EC2.ec2(
                client, signer,
                ["Action": "DescribeTags", "Filter.1.Name": "resource-id", "Filter.1.Value.1": instance])
            #expect(
                EC2.values("key", in: described.text) == ["env"] && EC2.values("value", in: described.text) == ["prod"])
            let server = try await client.request(.get, "/compute/v2.1/servers/detail", token: demo)
            #expect(server.json?["servers"]?.arrayValue?.first?["metadata"]?["env"]?.stringValue == "prod")
            let untagged = try await EC2.ec2(
                client, signer, ["Action": "DeleteTags", "ResourceId.1": instance, "Tag.1.Key": "env"])
            #expect(untagged.status == 200)
            let none = try await EC2.ec2(
                client, signer,
                ["Action": "DescribeTags", "Filter.1.Name": "resource-id", "Filter.1.Value.1": instance])
            #expect(EC2.values("key", in: none.text).isEmpty)

            let attribute = try await EC2.ec2(
                client, signer,
                ["Action": "DescribeInstanceAttribute", "InstanceId": instance, "Attribute": "userData"])
            #expect(EC2.values("value", in: attribute.text) == [Data("hello".utf8).base64EncodedString()])
            let locked = try await EC2.ec2(
                client, signer,
                ["Action": "ModifyInstanceAttribute", "InstanceId": instance, "DisableApiTermination.Value": "true"])
            #expect(locked.status == 200, "\(locked.text)")
            let refused = try await EC2.ec2(client, signer, ["Action": "TerminateInstances", "InstanceId.1": instance])
            #expect(EC2.errorCode(refused) == "OperationNotPermitted", "\(refused.text)")
            _ = try await EC2.ec2(
                client, signer,
                ["Action": "ModifyInstanceAttribute", "InstanceId": instance, "DisableApiTermination.Value": "false"])
            let running = try await EC2.ec2(
                client, signer,
                ["Action": "ModifyInstanceAttribute", "InstanceId": instance, "InstanceType.Value": "m1.small"])
            #expect(EC2.errorCode(running) == "IncorrectInstanceState")
            _ = try await EC2.ec2(client, signer, ["Action": "StopInstances", "InstanceId.1": instance])
            _ = try await Self.poll(client, signer, ["Action": "DescribeInstances", "InstanceId.1": instance]) {
                EC2.values("name", in: $0).contains("stopped")
            }
            let resized = try await EC2.ec2(
                client, signer,
                ["Action": "ModifyInstanceAttribute", "InstanceId": instance, "InstanceType.Value": "m1.small"])
            #expect(resized.status == 200, "\(resized.text)")
            let type = try await Self.poll(
                client, signer,
                ["Action": "DescribeInstanceAttribute", "InstanceId": instance, "Attribute": "instanceType"]
            ) { EC2.values("value", in: $0) == ["m1.small"] }
            #expect(EC2.values("value", in: type) == ["m1.small"], "\(type)")
            let confirmed = try await Self.poll(
                client, signer, ["Action": "DescribeInstances", "InstanceId.1": instance]
            ) {
                EC2.values("name", in: $0).contains("stopped")
            }
            #expect(
                EC2.values("name", in: confirmed).contains("stopped"), "the resize is confirmed, the instance stopped")

            let made = try await EC2.ec2(
                client, signer,
                ["Action": "CreateImage", "InstanceId": instance, "Name": "from-ec2", "Description": "made by EC2"])
            let image = try #require(EC2.values("imageId", in: made.text).first, "\(made.text)")
            let available = try await Self.poll(client, signer, ["Action": "DescribeImages", "ImageId.1": image]) {
                EC2.values("imageState", in: $0) == ["available"]
            }
            #expect(EC2.values("name", in: available) == ["from-ec2"], "\(available)")
            let description = try await EC2.ec2(
                client, signer, ["Action": "DescribeImageAttribute", "ImageId": image, "Attribute": "description"])
            #expect(EC2.values("value", in: description.text) == ["made by EC2"], "\(description.text)")
            let imageTag = try await EC2.ec2(
                client, signer,
                ["Action": "CreateTags", "ResourceId.1": image, "Tag.1.Key": "team", "Tag.1.Value": "a"])
            #expect(imageTag.status == 200, "\(imageTag.text)")
            let imageTags = try await EC2.ec2(
                client, signer,
                ["Action": "DescribeTags", "Filter.1.Name": "resource-type", "Filter.1.Value.1": "image"])
            #expect(EC2.values("key", in: imageTags.text).contains("team"), "\(imageTags.text)")
            let deregistered = try await EC2.ec2(client, signer, ["Action": "DeregisterImage", "ImageId": image])
            #expect(EC2.values("return", in: deregistered.text) == ["true"], "\(deregistered.text)")
            let gone = try await EC2.ec2(client, signer, ["Action": "DescribeImages", "ImageId.1": image])
            #expect(EC2.errorCode(gone) == "InvalidAMIID.NotFound")
        }
    }

    @Test func volumesAndSnapshots() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let signer = try await EC2.keyPair(client, token: demo)
            let instance = try await Self.running(client, signer)
            let created = try await EC2.ec2(
                client, signer, ["Action": "CreateVolume", "Size": "1", "AvailabilityZone": "nova"])
            let volume = try #require(EC2.values("volumeId", in: created.text).first, "\(created.text)")
            #expect(volume.hasPrefix("vol-"))
            let available = try await Self.poll(client, signer, ["Action": "DescribeVolumes", "VolumeId.1": volume]) {
                EC2.values("status", in: $0) == ["available"]
            }
            #expect(EC2.values("status", in: available) == ["available"], "\(available)")
            let attached = try await EC2.ec2(
                client, signer,
                ["Action": "AttachVolume", "VolumeId": volume, "InstanceId": instance, "Device": "/dev/vdb"])
            #expect(attached.status == 200, "\(attached.text)")
            let inUse = try await Self.poll(client, signer, ["Action": "DescribeVolumes", "VolumeId.1": volume]) {
                EC2.values("instanceId", in: $0) == [instance]
            }
            #expect(EC2.values("status", in: inUse).first == "in-use", "\(inUse)")
            let byInstance = try await EC2.ec2(
                client, signer,
                ["Action": "DescribeVolumes", "Filter.1.Name": "attachment.instance-id", "Filter.1.Value.1": instance])
            #expect(EC2.values("volumeId", in: byInstance.text).contains(volume))
            let detached = try await EC2.ec2(client, signer, ["Action": "DetachVolume", "VolumeId": volume])
            #expect(EC2.values("status", in: detached.text) == ["detaching"], "\(detached.text)")
            _ = try await Self.poll(client, signer, ["Action": "DescribeVolumes", "VolumeId.1": volume]) {
                EC2.values("status", in: $0) == ["available"]
            }
            let snapshot = try await EC2.ec2(
                client, signer, ["Action": "CreateSnapshot", "VolumeId": volume, "Description": "nightly"])
            let snapshotID = try #require(EC2.values("snapshotId", in: snapshot.text).first, "\(snapshot.text)")
            let completed = try await Self.poll(
                client, signer, ["Action": "DescribeSnapshots", "SnapshotId.1": snapshotID]
            ) {
                EC2.values("status", in: $0) == ["completed"]
            }
            #expect(EC2.values("description", in: completed) == ["nightly"], "\(completed)")
            #expect(EC2.values("volumeId", in: completed) == [volume])
            let inUseVolume = try await EC2.ec2(client, signer, ["Action": "DeleteVolume", "VolumeId": volume])
            #expect(inUseVolume.status != 200 || EC2.values("return", in: inUseVolume.text) == ["true"])
            let deletedSnapshot = try await EC2.ec2(
                client, signer, ["Action": "DeleteSnapshot", "SnapshotId": snapshotID])
            #expect(deletedSnapshot.status == 200, "\(deletedSnapshot.text)")
            _ = try await Self.poll(client, signer, ["Action": "DescribeSnapshots"]) {
                !EC2.values("snapshotId", in: $0).contains(snapshotID)
            }
            let deleted = try await EC2.ec2(client, signer, ["Action": "DeleteVolume", "VolumeId": volume])
            #expect(deleted.status == 200, "\(deleted.text)")
            let missing = try await EC2.ec2(
                client, signer, ["Action": "DescribeVolumes", "VolumeId.1": "vol-0123456789abcdef0"])
            #expect(EC2.errorCode(missing) == "InvalidVolume.NotFound")
        }
    }

    @Test func networksSecurityGroupsAndAddresses() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let signer = try await EC2.keyPair(client, token: demo)
            let vpcs = try await EC2.ec2(client, signer, ["Action": "DescribeVpcs"])
            let vpc = try #require(EC2.values("vpcId", in: vpcs.text).first, "\(vpcs.text)")
            #expect(EC2.values("cidrBlock", in: vpcs.text).first == cloud.options.fixedRange.description)
            let subnets = try await EC2.ec2(
                client, signer, ["Action": "DescribeSubnets", "Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpc])
            let subnet = try #require(EC2.values("subnetId", in: subnets.text).first, "\(subnets.text)")

            let group = try await EC2.ec2(
                client, signer,
                ["Action": "CreateSecurityGroup", "GroupName": "web", "GroupDescription": "web servers"])
            let groupID = try #require(EC2.values("groupId", in: group.text).first, "\(group.text)")
            let ssh: [String: String] = [
                "Action": "AuthorizeSecurityGroupIngress", "GroupId": groupID, "IpPermissions.1.IpProtocol": "tcp",
                "IpPermissions.1.FromPort": "22", "IpPermissions.1.ToPort": "22",
                "IpPermissions.1.IpRanges.1.CidrIp": "10.1.0.0/16",
            ]
            let authorized = try await EC2.ec2(client, signer, ssh)
            #expect(authorized.status == 200, "\(authorized.text)")
            let twice = try await EC2.ec2(client, signer, ssh)
            #expect(EC2.errorCode(twice) == "InvalidPermission.Duplicate", "\(twice.text)")
            let described = try await EC2.ec2(
                client, signer, ["Action": "DescribeSecurityGroups", "GroupId.1": groupID])
            #expect(EC2.values("cidrIp", in: described.text).contains("10.1.0.0/16"), "\(described.text)")
            #expect(EC2.values("fromPort", in: described.text).contains("22"))

            let address = cloud.options.fixedRange.address(50)
            let instance = try await Self.running(
                client, signer, extra: ["SubnetId": subnet, "PrivateIpAddress": address, "SecurityGroupId.1": groupID])
            let shown = try await EC2.ec2(client, signer, ["Action": "DescribeInstances", "InstanceId.1": instance])
            #expect(EC2.values("privateIpAddress", in: shown.text) == [address], "\(shown.text)")

            let allocated = try await EC2.ec2(client, signer, ["Action": "AllocateAddress", "Domain": "vpc"])
            let allocation = try #require(EC2.values("allocationId", in: allocated.text).first, "\(allocated.text)")
            let publicIP = try #require(EC2.values("publicIp", in: allocated.text).first)
            let associated = try await EC2.ec2(
                client, signer, ["Action": "AssociateAddress", "AllocationId": allocation, "InstanceId": instance])
            let association = try #require(EC2.values("associationId", in: associated.text).first, "\(associated.text)")
            let addresses = try await EC2.ec2(client, signer, ["Action": "DescribeAddresses"])
            #expect(EC2.values("instanceId", in: addresses.text) == [instance], "\(addresses.text)")
            #expect(EC2.values("publicIp", in: addresses.text) == [publicIP])
            // The server's addresses follow its ports when the networking service's network-changed event has
            // been handled (as in Nova, a moment after the association).
            var withFloating = try await EC2.ec2(
                client, signer, ["Action": "DescribeInstances", "InstanceId.1": instance])
            for _ in 0..<100 where EC2.values("ipAddress", in: withFloating.text) != [publicIP] {
                try await Task.sleep(for: .milliseconds(100))
                withFloating = try await EC2.ec2(
                    client, signer, ["Action": "DescribeInstances", "InstanceId.1": instance])
            }
            #expect(EC2.values("ipAddress", in: withFloating.text) == [publicIP], "\(withFloating.text)")
            let inUse = try await EC2.ec2(client, signer, ["Action": "ReleaseAddress", "AllocationId": allocation])
            #expect(EC2.errorCode(inUse) == "InvalidIPAddress.InUse")
            let disassociated = try await EC2.ec2(
                client, signer, ["Action": "DisassociateAddress", "AssociationId": association])
            #expect(disassociated.status == 200, "\(disassociated.text)")
            let released = try await EC2.ec2(client, signer, ["Action": "ReleaseAddress", "AllocationId": allocation])
            #expect(released.status == 200, "\(released.text)")

            _ = try await EC2.ec2(client, signer, ["Action": "TerminateInstances", "InstanceId.1": instance])
            let revoked = try await EC2.ec2(
                client, signer, ssh.merging(["Action": "RevokeSecurityGroupIngress"]) { _, new in new })
            #expect(revoked.status == 200, "\(revoked.text)")
            var deleted = try await EC2.ec2(client, signer, ["Action": "DeleteSecurityGroup", "GroupId": groupID])
            for _ in 0..<100 where deleted.status != 200 {
                try await Task.sleep(for: .milliseconds(50))
                deleted = try await EC2.ec2(client, signer, ["Action": "DeleteSecurityGroup", "GroupId": groupID])
            }
            #expect(deleted.status == 200, "\(deleted.text)")
        }
    }
}
