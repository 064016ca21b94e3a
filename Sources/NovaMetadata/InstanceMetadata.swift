import Foundation
import NovaCore

/// What a guest learns about itself (Nova's InstanceMetadata): the OpenStack tree (`meta_data.json`,
/// `network_data.json`, `user_data`, vendor data) in each version Nova publishes, and the EC2-style tree.
/// The metadata service serves it over HTTP; the config drive carries the same files.
public struct InstanceMetadata: Sendable {
    public var instance: Instance
    /// The OpenStack metadata versions, oldest first ("latest" is the newest's alias).
    public static let versions = [
        "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30", "2016-10-06", "2017-02-22",
        "2018-08-27", "2020-10-14",
    ]
    public static let ec2Versions = ["2009-04-04"]

    public init(instance: Instance) {
        self.instance = instance
    }

    /// The user data as the guest gets it (the API stored it base64-encoded); nil when there is none.
    public var userData: [UInt8]? {
        guard let text = instance.userData, !text.isEmpty else { return nil }
        return Data(base64Encoded: text, options: .ignoreUnknownCharacters).map(Array.init)
    }

    /// `meta_data.json`.
    public func metaData(version: String = "latest") -> JSON {
        var object: JSONObject = [
            "uuid": .string(instance.uuid), "name": .string(instance.displayName),
            "hostname": .string(instance.hostname), "launch_index": .int(instance.launchIndex),
            "availability_zone": .string(instance.availabilityZone ?? "nova"),
            "meta": .object(
                JSONObject(instance.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ]
        if version >= "2013-04-04" || version == "latest" { object.append("project_id", .string(instance.projectID)) }
        if let name = instance.keyName, let key = instance.keyData {
            object.append("public_keys", .object([name: .string(key)]))
            object.append("keys", [["name": .string(name), "type": "ssh", "data": .string(key)]])
        }
        let files = instance.personality ?? []
        if !files.isEmpty {
            object.append(
                "files",
                .array(
                    files.indices.map { index in
                        [
                            "path": .string(files[index].path),
                            "content_path": .string("/content/" + Self.contentName(index)),
                        ]
                    }))
        }
        object.append("devices", [])
        if version >= "2016-06-30" || version == "latest" {
            let seed = (0..<512).map { _ in UInt8.random(in: 0...255) }
            object.append("random_seed", .string(Data(seed).base64EncodedString()))
        }
        if version >= "2020-10-14" || version == "latest" { object.append("dedicated_cpus", []) }
        return .object(object)
    }

    /// `network_data.json`: a link per NIC (its MAC, its port), an `ipv4_dhcp` network on it (the addresses
    /// come from DHCP, as on every subnet with DHCP).
    public func networkData() -> JSON {
        var links: [JSON] = []
        var networks: [JSON] = []
        for (index, vif) in (instance.vifs ?? []).enumerated() {
            links.append([
                "id": .string(vif.devname), "vif_id": .string(vif.portID),
                "type": .string(vif.type == "ovs" ? "ovs" : "vif"),
                "ethernet_mac_address": .string(vif.mac), "mtu": .null,
            ])
            networks.append([
                "id": .string("network\(index)"), "type": "ipv4_dhcp", "link": .string(vif.devname),
                "network_id": .string(instance.addresses?.first { $0.portID == vif.portID }?.network ?? ""),
            ])
        }
        return ["links": .array(links), "networks": .array(networks), "services": []]
    }

    /// EC2's block-device-mapping: the root disk, then the flavor's ephemeral and swap disks as the guest
    /// sees them (vdb, then vdc or vdb).
    var blockDeviceMapping: [String: EC2Value] {
        var mapping: [String: EC2Value] = ["ami": .text("vda"), "root": .text("/dev/vda")]
        var next = Array("bcdefgh")
        if instance.flavor.ephemeralGB > 0 { mapping["ephemeral0"] = .text("vd\(next.removeFirst())") }
        if instance.flavor.swapMB > 0 { mapping["swap"] = .text("vd\(next.removeFirst())") }
        return mapping
    }

    /// The EC2-style meta-data (`/latest/meta-data/...`) as a tree of names to values or subtrees.
    public func ec2MetaData() -> [String: EC2Value] {
        let fixed = instance.addresses?.first?.address ?? ""
        let floating = instance.addresses?.compactMap { $0.floating?.first }.first ?? ""
        var tree: [String: EC2Value] = [
            "ami-id": .text("ami-" + String(instance.imageRef.prefix(8))),
            "ami-launch-index": .text(String(instance.launchIndex)),
            "block-device-mapping": .tree(blockDeviceMapping),
            "hostname": .text(instance.hostname + ".novalocal"), "instance-action": .text("none"),
            "instance-id": .text(Self.ec2ID(instance.uuid)), "instance-type": .text(instance.flavor.name),
            "local-hostname": .text(instance.hostname + ".novalocal"), "local-ipv4": .text(fixed),
            "placement": .tree(["availability-zone": .text(instance.availabilityZone ?? "nova")]),
            "public-hostname": .text(instance.hostname + ".novalocal"), "public-ipv4": .text(floating),
            "reservation-id": .text(instance.reservationID),
            "security-groups": .text((instance.securityGroups ?? ["default"]).joined(separator: "\n")),
        ]
        if let name = instance.keyName, let key = instance.keyData {
            tree["public-keys"] = .tree(["0": .tree(["openssh-key": .text(key)]), "0=\(name)": .text("")])
        }
        return tree
    }

    /// The EC2 id of an instance: `i-` and eight hex digits derived from its uuid.
    public static func ec2ID(_ uuid: String) -> String {
        let hex = String(StableHash.fnv1a32(uuid), radix: 16)
        return "i-" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// `0000`, `0001`...: the name of a personality file under `openstack/content/`.
    static func contentName(_ index: Int) -> String {
        let text = String(index)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    /// The personality files' contents by their name under `openstack/content/`.
    public func contentFiles() -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for (index, file) in (instance.personality ?? []).enumerated() {
            files[Self.contentName(index)] =
                Data(base64Encoded: file.contents, options: .ignoreUnknownCharacters)
                .map(Array.init) ?? []
        }
        return files
    }

    /// Every file of the config drive (`openstack/<version>/...`, `ec2/<version>/...`), by path.
    public func configDriveFiles() -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for version in Self.versions + ["latest"] {
            let folder = "openstack/\(version)/"
            files[folder + "meta_data.json"] = Array(metaData(version: version).serialized().utf8)
            if version >= "2015-10-15" || version == "latest" {
                files[folder + "network_data.json"] = Array(networkData().serialized().utf8)
            }
            if version >= "2013-10-17" || version == "latest" { files[folder + "vendor_data.json"] = Array("{}".utf8) }
            if version >= "2016-10-06" || version == "latest" { files[folder + "vendor_data2.json"] = Array("{}".utf8) }
            if let userData { files[folder + "user_data"] = userData }
        }
        for (name, bytes) in contentFiles() { files["openstack/content/" + name] = bytes }
        for version in Self.ec2Versions + ["latest"] {
            files["ec2/\(version)/meta-data.json"] = Array(EC2Value.tree(ec2MetaData()).json.serialized().utf8)
            if let userData { files["ec2/\(version)/user-data"] = userData }
        }
        return files
    }
}

/// A node of the EC2 meta-data tree.
public indirect enum EC2Value: Sendable, Equatable {
    case text(String)
    case tree([String: EC2Value])

    var json: JSON {
        switch self {
        case .text(let text): .string(text)
        case .tree(let tree):
            .object(JSONObject(tree.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) }))
        }
    }
}
