import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// block_device_mapping_v2 on create: servers booted from volumes (made from an image or a snapshot by the
/// compute host, or existing), extra volumes made at the build, Nova's checks and 400s, and what a delete
/// leaves.
@Suite struct BootFromVolumeTests {
    static let volumes = "/volume/v3"

    static func volume(_ client: CloudClient, _ id: String, token: String) async throws -> JSON? {
        try await client.request(.get, volumes + "/volumes/\(id)", token: token).json?["volume"]
    }

    static func attachedIDs(_ server: JSON) -> [String] {
        server["os-extended-volumes:volumes_attached"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    static func drivers(_ cloud: AllInOneCloud, _ server: String) async -> [String: String] {
        var seen: [String: String] = [:]
        for driver in cloud.drivers.values { seen.merge(await driver.attachedVolumes(server)) { a, _ in a } }
        return seen
    }

    static func create(
        _ client: CloudClient, _ name: String, token: String, version: String? = nil, _ server: JSONObject
    )
        async throws -> (Int, JSON?, String)
    {
        var body = server
        body["name"] = .string(name)
        body["flavorRef"] = "1"
        let reply = try await client.request(
            .post, "/compute/v2.1/servers", token: token, version: version, body: ["server": .object(body)])
        return (reply.status, reply.json, reply.text)
    }

    @Test func serversBootFromVolumesMadeFromAnImageAVolumeAndASnapshot() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            // From the image, with a blank second volume that goes with the server.
            let (status, json, text) = try await Self.create(
                client, "bfv", token: demo,
                [
                    "block_device_mapping_v2": [
                        [
                            "uuid": .string(image), "source_type": "image", "destination_type": "volume",
                            "boot_index": 0, "volume_size": 1,
                        ],
                        [
                            "source_type": "blank", "destination_type": "volume", "volume_size": "1",
                            "boot_index": -1, "delete_on_termination": true,
                        ],
                    ]
                ])
            #expect(status == 202, "\(text)")
            let id = try #require(json?["server"]?["id"]?.stringValue)
            let server = try await client.waitFor(id, status: "ACTIVE", token: demo, seconds: 30)
            #expect(server["image"] == "", "a server booted from a volume has no image: \(server.serialized())")
            let attached = Self.attachedIDs(server)
            #expect(attached.count == 2, "\(server.serialized())")
            let guest = await Self.drivers(cloud, id)
            let root = try #require(guest.first { $0.value == "/dev/vda" }?.key, "\(guest)")
            let blank = try #require(guest.first { $0.value == "/dev/vdb" }?.key, "\(guest)")
            let rootVolume = try await Self.volume(client, root, token: demo)
            #expect(
                rootVolume?["status"] == "in-use" && rootVolume?["bootable"] == "true",
                "\(rootVolume?.serialized() ?? "")")
            #expect(rootVolume?["size"] == 1)
            #expect(rootVolume?["volume_image_metadata"]?["image_id"]?.stringValue == image)
            #expect(try await Self.volume(client, blank, token: demo)?["name"]?.stringValue == "\(id)-blank-vol")
            // Nothing of the flavor's root disk is claimed on the host.
            let admin = try await client.adminToken()
            let held = try await client.request(.get, "/placement/allocations/\(id)", token: admin)
            let resources = held.json?["allocations"]?.objectValue?.entries.first?.1["resources"]
            #expect(resources?["MEMORY_MB"] == 512 && resources?["DISK_GB"] == nil, "\(held.text)")
            // Its image: a snapshot of each volume, an image without data that names them; a server booted
            // from that image gets volumes made of the snapshots.
            let imaged = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: demo, version: "2.45",
                body: ["createImage": ["name": "bfv-image"]])
            #expect(imaged.status == 202, "\(imaged.text)")
            let imageID = try #require(imaged.json?["image_id"]?.stringValue)
            let snapshotImage = try await client.request(.get, "/image/v2/images/\(imageID)", token: demo)
            #expect(
                snapshotImage.json?["status"] == "active" && snapshotImage.json?["size"] == 0, "\(snapshotImage.text)")
            let defined = snapshotImage.json?["block_device_mapping"]?.stringValue.flatMap {
                JSON.parse(Array($0.utf8))
            }
            #expect(defined?.arrayValue?.count == 2, "\(snapshotImage.text)")
            #expect(
                defined?.arrayValue?.first?["boot_index"] == 0
                    && defined?.arrayValue?.first?["source_type"] == "snapshot")
            let backup = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: demo,
                body: ["createBackup": ["name": "b", "backup_type": "daily", "rotation": 1]])
            #expect(backup.status == 400, "Nova makes no backups of volume-backed servers: \(backup.text)")
            let fromImage = try await client.createServer("from-image", token: demo, image: imageID)
            let cloned = try await client.waitFor(fromImage, status: "ACTIVE", token: demo, seconds: 30)
            #expect(Self.attachedIDs(cloned).count == 2, "\(cloned.serialized())")
            let clonedRoot = try #require(await Self.drivers(cloud, fromImage).first { $0.value == "/dev/vda" }?.key)
            #expect(clonedRoot != root)
            #expect(try await Self.volume(client, clonedRoot, token: demo)?["snapshot_id"]?.stringValue != nil)
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(fromImage)", token: demo).status == 204)
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, clonedRoot, token: demo, wanted: "available")
                    == "available")
            _ = try await client.request(.delete, Self.volumes + "/volumes/\(clonedRoot)", token: demo)
            // The snapshots go (a volume with snapshots cannot be deleted, as Cinder says).
            for snapshotID in defined?.arrayValue?.compactMap({ $0["snapshot_id"]?.stringValue }) ?? [] {
                for _ in 0..<200 {
                    let deleted = try await client.request(
                        .delete, Self.volumes + "/snapshots/\(snapshotID)", token: demo)
                    if deleted.status == 404 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            // The root volume is not detachable; the server's delete keeps it and deletes the blank one.
            let detach = try await client.request(
                .delete, "/compute/v2.1/servers/\(id)/os-volume_attachments/\(root)", token: demo)
            #expect(detach.status == 400, "\(detach.text)")
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: demo).status == 204)
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, root, token: demo, wanted: "available")
                    == "available")
            #expect(try await VolumeAttachmentTests.volumeStatus(client, blank, token: demo, wanted: "gone") == nil)

            // From the volume that outlived its server.
            let (again, againJSON, againText) = try await Self.create(
                client, "again", token: demo,
                [
                    "block_device_mapping_v2": [
                        [
                            "uuid": .string(root), "source_type": "volume", "destination_type": "volume",
                            "boot_index": "0",
                        ]
                    ]
                ])
            #expect(again == 202, "\(againText)")
            let second = try #require(againJSON?["server"]?["id"]?.stringValue)
            let secondServer = try await client.waitFor(second, status: "ACTIVE", token: demo, seconds: 30)
            #expect(Self.attachedIDs(secondServer) == [root])
            #expect(await Self.drivers(cloud, second)[root] == "/dev/vda")
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(second)", token: demo).status == 204)
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, root, token: demo, wanted: "available")
                    == "available")

            // From a snapshot of it, in a bigger volume the build makes (the legacy syntax names the snapshot).
            let snapshot = try await client.request(
                .post, Self.volumes + "/snapshots", token: demo, body: ["snapshot": ["volume_id": .string(root)]])
            let snapshotID = try #require(snapshot.json?["snapshot"]?["id"]?.stringValue, "\(snapshot.text)")
            var ready = false
            for _ in 0..<200 where !ready {
                let shown = try await client.request(.get, Self.volumes + "/snapshots/\(snapshotID)", token: demo)
                ready = shown.json?["snapshot"]?["status"] == "available"
                try await Task.sleep(for: .milliseconds(20))
            }
            let (third, thirdJSON, thirdText) = try await Self.create(
                client, "third", token: demo,
                [
                    "block_device_mapping": [
                        [
                            "snapshot_id": .string(snapshotID), "device_name": "/dev/vda", "volume_size": 2,
                            "delete_on_termination": "true",
                        ]
                    ]
                ])
            #expect(third == 202, "\(thirdText)")
            let thirdID = try #require(thirdJSON?["server"]?["id"]?.stringValue)
            let thirdServer = try await client.waitFor(thirdID, status: "ACTIVE", token: demo, seconds: 30)
            let made = try #require(Self.attachedIDs(thirdServer).first)
            let madeVolume = try await Self.volume(client, made, token: demo)
            #expect(madeVolume?["size"] == 2 && madeVolume?["snapshot_id"]?.stringValue == snapshotID)
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(thirdID)", token: demo).status == 204)
            #expect(try await VolumeAttachmentTests.volumeStatus(client, made, token: demo, wanted: "gone") == nil)
        }
    }

    @Test func aServerBootedFromAVolumeLiveMigratesWithoutBlockMigration() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let admin = try await client.adminToken()
            let image = try await client.defaultImage(token: admin)
            let (status, json, text) = try await Self.create(
                client, "mover", token: admin,
                [
                    "block_device_mapping_v2": [
                        [
                            "uuid": .string(image), "source_type": "image", "destination_type": "volume",
                            "boot_index": 0, "volume_size": 1, "delete_on_termination": true,
                        ]
                    ]
                ])
            #expect(status == 202, "\(text)")
            let id = try #require(json?["server"]?["id"]?.stringValue)
            let before = try await client.waitFor(id, status: "ACTIVE", token: admin, seconds: 30)
            let source = try #require(before["OS-EXT-SRV-ATTR:host"]?.stringValue)
            let root = try #require(Self.attachedIDs(before).first)
            let path = "/compute/v2.1/servers/\(id)/action"
            let blocked = try await client.request(
                .post, path, token: admin, version: "2.30",
                body: ["os-migrateLive": ["host": .null, "block_migration": true]])
            #expect(blocked.status == 400, "no block migration of a server without a local disk: \(blocked.text)")
            let moved = try await client.request(
                .post, path, token: admin, version: "2.30",
                body: ["os-migrateLive": ["host": .null, "block_migration": "auto"]])
            #expect(moved.status == 202, "\(moved.text)")
            var after: JSON = .null
            for _ in 0..<200 {
                after = try await client.waitFor(id, status: "ACTIVE", token: admin)
                if after["OS-EXT-SRV-ATTR:host"]?.stringValue != source { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(after["OS-EXT-SRV-ATTR:host"]?.stringValue != source, "\(after.serialized())")
            #expect(Self.attachedIDs(after) == [root])
            #expect(try await Self.volume(client, root, token: admin)?["status"] == "in-use")
            let rescue = try await client.request(.post, path, token: admin, body: ["rescue": .null])
            #expect(rescue.status == 409, "\(rescue.text)")
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: admin).status == 204)
            #expect(try await VolumeAttachmentTests.volumeStatus(client, root, token: admin, wanted: "gone") == nil)
        }
    }

    @Test func badBlockDeviceMappingsAreRefusedAndReserveNothing() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let volume = try await VolumeAttachmentTests.newVolume(client, token: demo)
            let unknown = "11111111-2222-3333-4444-555555555555"
            func volumeRoot(_ extra: JSONObject = [:]) -> JSON {
                var root: JSONObject = [
                    "uuid": .string(volume), "source_type": "volume", "destination_type": "volume", "boot_index": 0,
                ]
                for (key, value) in extra.entries { root[key] = value }
                return .object(root)
            }
            let imageRoot: JSON = [
                "uuid": .string(image), "source_type": "image", "destination_type": "local", "boot_index": 0,
            ]
            let cases: [(String, JSONObject, String?)] = [
                (
                    "both syntaxes",
                    [
                        "block_device_mapping_v2": [volumeRoot()],
                        "block_device_mapping": [["volume_id": .string(volume)]],
                    ], nil
                ),
                ("not a list", ["block_device_mapping_v2": "x"], nil),
                ("an unknown key", ["block_device_mapping_v2": [volumeRoot(["colour": "red"])]], nil),
                ("no source_type", ["block_device_mapping_v2": [["uuid": .string(volume), "boot_index": 0]]], nil),
                ("a bad source_type", ["block_device_mapping_v2": [volumeRoot(["source_type": "tape"])]], nil),
                ("a bad boot_index", ["block_device_mapping_v2": [volumeRoot(["boot_index": "first"])]], nil),
                ("a huge boot_index", ["block_device_mapping_v2": [volumeRoot(["boot_index": .double(1e30)])]], nil),
                ("size 0", ["block_device_mapping_v2": [volumeRoot(["volume_size": 0])]], nil),
                ("size text", ["block_device_mapping_v2": [volumeRoot(["volume_size": "big"])]], nil),
                ("size Int.max", ["block_device_mapping_v2": [volumeRoot(["volume_size": .int(Int.max)])]], nil),
                ("a bad disk bus", ["block_device_mapping_v2": [volumeRoot(["disk_bus": "floppy"])]], nil),
                ("a device name with spaces", ["block_device_mapping_v2": [volumeRoot(["device_name": "v d a"])]], nil),
                (
                    "a volume source without uuid",
                    ["block_device_mapping_v2": [["source_type": "volume", "boot_index": 0]]], nil
                ),
                (
                    "a blank with a uuid",
                    [
                        "block_device_mapping_v2": [
                            [
                                "source_type": "blank", "uuid": .string(volume), "destination_type": "volume",
                                "volume_size": 1, "boot_index": 0,
                            ]
                        ]
                    ], nil
                ),
                ("an unknown volume", ["block_device_mapping_v2": [volumeRoot(["uuid": .string(unknown)])]], nil),
                (
                    "no size for an image volume",
                    [
                        "block_device_mapping_v2": [
                            [
                                "uuid": .string(image), "source_type": "image", "destination_type": "volume",
                                "boot_index": 0,
                            ]
                        ]
                    ], nil
                ),
                (
                    "no size for a blank volume",
                    [
                        "imageRef": .string(image),
                        "block_device_mapping_v2": [
                            imageRoot, ["source_type": "blank", "destination_type": "volume", "boot_index": -1],
                        ],
                    ], nil
                ),
                ("a boot sequence from 1", ["block_device_mapping_v2": [volumeRoot(["boot_index": 1])]], nil),
                ("an image to local without imageRef", ["block_device_mapping_v2": [imageRoot]], nil),
                (
                    "a local ephemeral disk",
                    [
                        "imageRef": .string(image),
                        "block_device_mapping_v2": [
                            imageRoot, ["source_type": "blank", "destination_type": "local", "boot_index": -1],
                        ],
                    ], nil
                ),
                (
                    "a volume on the image's root device",
                    [
                        "imageRef": .string(image),
                        "block_device_mapping_v2": [
                            imageRoot,
                            [
                                "source_type": "blank", "destination_type": "volume", "volume_size": 1,
                                "device_name": "/dev/vda",
                            ],
                        ],
                    ], nil
                ),
                ("one volume for two servers", ["block_device_mapping_v2": [volumeRoot()], "max_count": 2], nil),
                (
                    "a volume type before 2.67",
                    [
                        "block_device_mapping_v2": [
                            [
                                "uuid": .string(image), "source_type": "image", "destination_type": "volume",
                                "volume_size": 1, "boot_index": 0, "volume_type": "__DEFAULT__",
                            ]
                        ]
                    ], "2.66"
                ),
                (
                    "an unknown volume type",
                    [
                        "networks": "none",
                        "block_device_mapping_v2": [
                            [
                                "uuid": .string(image), "source_type": "image", "destination_type": "volume",
                                "volume_size": 1, "boot_index": 0, "volume_type": "gold",
                            ]
                        ],
                    ], "2.67"
                ),
                (
                    "a type for an existing volume",
                    ["networks": "none", "block_device_mapping_v2": [volumeRoot(["volume_type": "__DEFAULT__"])]],
                    "2.67"
                ),
            ]
            for (what, server, version) in cases {
                let (status, json, text) = try await Self.create(client, "bad", token: demo, version: version, server)
                #expect(status == 400 && json?["badRequest"]?["message"] != nil, "\(what): \(status) \(text)")
            }
            // An attached volume is not available to boot from.
            let holder = try await client.createServer("holder", token: demo, image: image)
            _ = try await client.waitFor(holder, status: "ACTIVE", token: demo)
            let attach = try await client.request(
                .post, "/compute/v2.1/servers/\(holder)/os-volume_attachments", token: demo,
                body: ["volumeAttachment": ["volumeId": .string(volume)]])
            #expect(attach.status == 200, "\(attach.text)")
            _ = try await VolumeAttachmentTests.volumeStatus(client, volume, token: demo, wanted: "in-use")
            let (busy, _, busyText) = try await Self.create(
                client, "busy", token: demo,
                ["imageRef": .string(image), "block_device_mapping_v2": [imageRoot, volumeRoot(["boot_index": -1])]])
            #expect(busy == 400 && busyText.contains("in-use"), "\(busyText)")
            // A volume type by name at 2.67 boots (the build makes the volume of that type).
            let (typed, typedJSON, typedText) = try await Self.create(
                client, "typed", token: demo, version: "2.67",
                [
                    "networks": "none",
                    "block_device_mapping_v2": [
                        [
                            "uuid": .string(image), "source_type": "image", "destination_type": "volume",
                            "volume_size": 1, "boot_index": 0, "volume_type": "__DEFAULT__",
                            "delete_on_termination": true,
                        ]
                    ],
                ])
            #expect(typed == 202, "\(typedText)")
            let typedID = try #require(typedJSON?["server"]?["id"]?.stringValue)
            _ = try await client.waitFor(typedID, status: "ACTIVE", token: demo, seconds: 30)
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(typedID)", token: demo).status == 204)
            // Nothing else was reserved: the volume has its one attachment.
            let shown = try await Self.volume(client, volume, token: demo)
            #expect(shown?["attachments"]?.arrayValue?.count == 1, "\(shown?.serialized() ?? "")")
        }
    }

    @Test func aVolumeTheBuildCannotMakeEndsTheBuildInError() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            // The project may have one gigabyte of volumes: the build's second volume is refused.
            let admin = try await client.adminToken()
            let tokenInfo = try await client.request(
                .get, "/identity/v3/auth/tokens", token: demo, headers: [HTTPField.Name("X-Subject-Token")!: demo])
            let project = try #require(tokenInfo.json?["token"]?["project"]?["id"]?.stringValue, "\(tokenInfo.text)")
            let quota = try await client.request(
                .put, Self.volumes + "/os-quota-sets/\(project)", token: admin,
                body: ["quota_set": ["gigabytes": 1]])
            #expect(quota.status == 200, "\(quota.text)")
            let (status, json, text) = try await Self.create(
                client, "toobig", token: demo,
                [
                    "imageRef": .string(image),
                    "block_device_mapping_v2": [
                        ["uuid": .string(image), "source_type": "image", "destination_type": "local", "boot_index": 0],
                        [
                            "source_type": "blank", "destination_type": "volume", "volume_size": 1,
                            "delete_on_termination": true,
                        ],
                        [
                            "source_type": "blank", "destination_type": "volume", "volume_size": 1,
                            "delete_on_termination": true,
                        ],
                    ],
                ])
            #expect(status == 202, "\(text)")
            let id = try #require(json?["server"]?["id"]?.stringValue)
            let server = try await client.waitFor(id, status: "ERROR", token: demo, seconds: 30)
            #expect(
                server["fault"]?["message"]?.stringValue?.contains("Failure prepping block device") == true,
                "\(server.serialized())")
            // Its delete deletes the volume the build did make.
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: demo).status == 204)
            var left: [JSON] = []
            for _ in 0..<200 {
                left =
                    try await client.request(.get, Self.volumes + "/volumes", token: demo).json?["volumes"]?
                    .arrayValue ?? []
                if left.isEmpty { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(left.isEmpty, "\(left)")
        }
    }
}
