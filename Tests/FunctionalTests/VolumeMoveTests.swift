import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// A server's volumes go wherever the server goes: live migration, cold migration and its revert, resize and
/// its confirm, shelve offload and unshelve, evacuation. After each move the volumes are in use with one
/// attachment, made for the server's new host, and the guest on that host (and no other) has them.
@Suite struct VolumeMoveTests {
    static let volumes = "/volume/v3"

    /// The attachments of the volume (any status) through the attachments API.
    static func attachments(_ client: CloudClient, _ volume: String, token: String) async throws -> [JSON] {
        let reply = try await client.request(
            .get, volumes + "/attachments/detail?volume_id=\(volume)", token: token,
            headers: [HTTPField.Name("OpenStack-API-Version")!: "volume 3.70"])
        #expect(reply.status == 200, "\(reply.text)")
        return reply.json?["attachments"]?.arrayValue ?? []
    }

    static func expectOn(
        _ host: String?, _ server: String, volumes ids: [String], _ client: CloudClient, _ cloud: AllInOneCloud,
        token: String, _ step: String
    ) async throws {
        for id in ids {
            let wanted = host == nil ? "reserved" : "in-use"
            let status = try await VolumeAttachmentTests.volumeStatus(client, id, token: token, wanted: wanted)
            #expect(status == wanted, "\(step): volume \(id)")
            let attachments = try await Self.attachments(client, id, token: token)
            #expect(attachments.count == 1, "\(step): one attachment of \(id): \(attachments)")
            let connector = attachments.first?["connection_info"]?["attachment_id"]
            #expect((host == nil) == (connector == nil || connector == .null), "\(step): \(attachments)")
        }
        for (name, driver) in cloud.drivers {
            let held = Set(await driver.attachedVolumes(server).keys)
            #expect(held == (name == host ? Set(ids) : []), "\(step): the guest on \(name) has \(held)")
        }
    }

    @Test func aServerBootedFromAVolumeTakesItsVolumesAlongOnEveryMove() async throws {
        try await withCloud(fakeHosts: 3) { client, cloud in
            let admin = try await client.adminToken()
            try await client.waitForHosts(3, token: admin)
            let image = try await client.defaultImage(token: admin)
            let (status, json, text) = try await BootFromVolumeTests.create(
                client, "traveller", token: admin,
                [
                    "block_device_mapping_v2": [
                        [
                            "uuid": .string(image), "source_type": "image", "destination_type": "volume",
                            "boot_index": 0, "volume_size": 1, "delete_on_termination": true,
                        ],
                        [
                            "source_type": "blank", "destination_type": "volume", "volume_size": 1,
                            "boot_index": -1, "delete_on_termination": true,
                        ],
                    ]
                ])
            #expect(status == 202, "\(text)")
            let id = try #require(json?["server"]?["id"]?.stringValue)
            var server = try await client.waitFor(id, status: "ACTIVE", token: admin, seconds: 30)
            let ids = BootFromVolumeTests.attachedIDs(server)
            #expect(ids.count == 2)
            func host() async throws -> String {
                server =
                    try await client.request(.get, "/compute/v2.1/servers/\(id)", token: admin).json?["server"]
                    ?? .null
                return server["OS-EXT-SRV-ATTR:host"]?.stringValue ?? ""
            }
            var current = try await host()
            try await Self.expectOn(current, id, volumes: ids, client, cloud, token: admin, "boot")

            try await action(
                client, id, ["os-migrateLive": ["host": .null, "block_migration": "auto"]], admin, version: "2.30",
                expect: 202)
            try await waitForMigration(client, id, admin, status: "completed")
            _ = try await client.waitFor(id, status: "ACTIVE", token: admin)
            #expect(try await host() != current)
            current = try await host()
            try await Self.expectOn(current, id, volumes: ids, client, cloud, token: admin, "live migration")

            try await action(client, id, ["migrate": .null], admin, expect: 202)
            _ = try await client.waitFor(id, status: "VERIFY_RESIZE", token: admin)
            try await Self.expectOn(try await host(), id, volumes: ids, client, cloud, token: admin, "cold migration")
            try await action(client, id, ["revertResize": .null], admin, expect: 202)
            _ = try await client.waitFor(id, status: "ACTIVE", token: admin)
            #expect(try await host() == current)
            try await Self.expectOn(current, id, volumes: ids, client, cloud, token: admin, "revert")

            try await action(client, id, ["resize": ["flavorRef": "2"]], admin, expect: 202)
            _ = try await client.waitFor(id, status: "VERIFY_RESIZE", token: admin)
            try await action(client, id, ["confirmResize": .null], admin, expect: 204)
            _ = try await client.waitFor(id, status: "ACTIVE", token: admin)
            current = try await host()
            try await Self.expectOn(current, id, volumes: ids, client, cloud, token: admin, "resize")

            try await action(client, id, ["shelve": .null], admin, expect: 202)
            _ = try await client.waitFor(id, status: "SHELVED_OFFLOADED", token: admin)
            try await Self.expectOn(nil, id, volumes: ids, client, cloud, token: admin, "shelve offload")
            try await action(client, id, ["unshelve": .null], admin, expect: 202)
            _ = try await client.waitFor(id, status: "ACTIVE", token: admin)
            current = try await host()
            try await Self.expectOn(current, id, volumes: ids, client, cloud, token: admin, "unshelve")

            try await forceDown(current, client, admin)
            try await action(client, id, ["evacuate": .object([:])], admin, version: "2.29", expect: 200)
            try await waitForMigration(client, id, admin, status: "done")
            _ = try await client.waitFor(id, status: "ACTIVE", token: admin)
            #expect(try await host() != current)
            // The dead host's guest is still in its driver's table (nothing ran there): only the new host counts.
            for id in ids {
                let attachments = try await Self.attachments(client, id, token: admin)
                #expect(attachments.count == 1, "evacuate: \(attachments)")
                #expect(attachments.first?["status"] == "attached", "evacuate: \(attachments)")
            }
            let evacuatedTo = try await host()
            let held = await cloud.drivers[evacuatedTo]?.attachedVolumes(id) ?? [:]
            #expect(Set(held.keys) == Set(ids))

            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: admin).status == 204)
            for volume in ids {
                #expect(
                    try await VolumeAttachmentTests.volumeStatus(client, volume, token: admin, wanted: "gone") == nil)
            }
            try await audit(cloud)
        }
    }

    @Test func anImageBackedServerKeepsItsAttachedVolumeThroughAShelveAndAColdMigration() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let admin = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, admin)
            let volume = try await VolumeAttachmentTests.newVolume(client, token: admin)
            let attached = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/os-volume_attachments", token: admin,
                body: ["volumeAttachment": ["volumeId": .string(volume)]])
            #expect(attached.status == 200, "\(attached.text)")
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, volume, token: admin, wanted: "in-use") == "in-use"
            )

            try await action(client, id, ["migrate": .null], admin, expect: 202)
            let resized = try await client.waitFor(id, status: "VERIFY_RESIZE", token: admin)
            let target = resized["OS-EXT-SRV-ATTR:host"]?.stringValue
            try await Self.expectOn(target, id, volumes: [volume], client, cloud, token: admin, "cold migration")
            try await action(client, id, ["confirmResize": .null], admin, expect: 204)
            _ = try await client.waitFor(id, status: "ACTIVE", token: admin)

            try await action(client, id, ["shelve": .null], admin, expect: 202)
            _ = try await client.waitFor(id, status: "SHELVED_OFFLOADED", token: admin)
            try await Self.expectOn(nil, id, volumes: [volume], client, cloud, token: admin, "shelve offload")
            try await action(client, id, ["unshelve": .null], admin, expect: 202)
            let back = try await client.waitFor(id, status: "ACTIVE", token: admin)
            try await Self.expectOn(
                back["OS-EXT-SRV-ATTR:host"]?.stringValue, id, volumes: [volume], client, cloud, token: admin,
                "unshelve")
            #expect(BootFromVolumeTests.attachedIDs(back) == [volume])
            try await audit(cloud)
        }
    }
}
