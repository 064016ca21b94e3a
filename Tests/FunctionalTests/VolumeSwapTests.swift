import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Swap volume (PUT os-volume_attachments/{old} with another volumeId, admins only): the guest's disk moves
/// onto the new volume under the same device, the old volume is available again; Nova's refusals change nothing.
@Suite struct VolumeSwapTests {
    @Test func anAdminSwapsAServersVolumeForAnother() async throws {
        try await withCloud { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("swapper", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let old = try await VolumeAPITests.create(client, token: demo, ["size": 2])
            let new = try await VolumeAPITests.create(client, token: demo, ["size": 2])
            let small = try await VolumeAttachmentTests.newVolume(client, token: demo)
            _ = try await VolumeAttachmentTests.volumeStatus(client, new, token: demo, wanted: "available")
            let path = "/compute/v2.1/servers/\(server)/os-volume_attachments"
            let attached = try await client.request(
                .post, path, token: demo, body: ["volumeAttachment": ["volumeId": .string(old)]])
            #expect(attached.status == 200, "\(attached.text)")
            let device = attached.json?["volumeAttachment"]?["device"]?.stringValue
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, old, token: demo, wanted: "in-use") == "in-use")
            let swap: JSON = ["volumeAttachment": ["volumeId": .string(new)]]

            let member = try await client.request(.put, path + "/\(old)", token: demo, body: swap)
            #expect(member.status == 403, "swap is for admins: \(member.text)")
            let missing = try await client.request(
                .put, path + "/\(old)", token: admin,
                body: ["volumeAttachment": ["volumeId": "11111111-2222-3333-4444-555555555555"]])
            #expect(missing.status == 404, "\(missing.text)")
            let larger = try await VolumeAPITests.create(client, token: demo, ["size": 2])
            _ = try await VolumeAttachmentTests.volumeStatus(client, larger, token: demo, wanted: "available")
            let other = try await client.createServer("other", token: demo, image: image)
            try await client.waitFor(other, status: "ACTIVE", token: demo)
            let busy = try await client.request(
                .post, "/compute/v2.1/servers/\(other)/os-volume_attachments", token: demo,
                body: ["volumeAttachment": ["volumeId": .string(larger)]])
            #expect(busy.status == 200, "\(busy.text)")
            _ = try await VolumeAttachmentTests.volumeStatus(client, larger, token: demo, wanted: "in-use")
            let inUse = try await client.request(
                .put, path + "/\(old)", token: admin, body: ["volumeAttachment": ["volumeId": .string(larger)]])
            #expect(inUse.status == 400, "an attached volume is not swapped to: \(inUse.text)")

            let smaller = try await client.request(
                .put, path + "/\(old)", token: admin, body: ["volumeAttachment": ["volumeId": .string(small)]])
            #expect(smaller.status == 400, "a smaller volume is refused: \(smaller.text)")
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, small, token: demo, wanted: "available")
                    == "available")

            // The host fails the swap: the old volume, detaching meanwhile, is in-use again; the new one is let go.
            let shown = try await client.request(.get, "/compute/v2.1/servers/\(server)", token: admin)
            let host = try #require(shown.json?["server"]?["OS-EXT-SRV-ATTR:host"]?.stringValue)
            /// The swap is accepted (202), then the old and the new volume reach these statuses.
            @Sendable func swapSettles(old oldStatus: String, new newStatus: String) async throws {
                let reply = try await client.request(.put, path + "/\(old)", token: admin, body: swap)
                #expect(reply.status == 202, "\(reply.text)")
                for (volume, status) in [(old, oldStatus), (new, newStatus)] {
                    #expect(
                        try await VolumeAttachmentTests.volumeStatus(client, volume, token: demo, wanted: status)
                            == status)
                }
            }
            await cloud.drivers[host]?.failNext("swap_volume")
            try await swapSettles(old: "in-use", new: "available")
            #expect(await BootFromVolumeTests.drivers(cloud, server) == [old: device ?? ""])

            try await swapSettles(old: "available", new: "in-use")
            let listed = try await client.request(.get, path, token: demo)
            let attachments = listed.json?["volumeAttachments"]?.arrayValue ?? []
            #expect(attachments.compactMap { $0["volumeId"]?.stringValue } == [new], "\(listed.text)")
            #expect(attachments.first?["device"]?.stringValue == device, "the same device")
            let held = await BootFromVolumeTests.drivers(cloud, server)
            #expect(held == [new: device ?? ""], "the guest's disk is the new volume")
            let actions = try await client.request(
                .get, "/compute/v2.1/servers/\(server)/os-instance-actions", token: admin)
            #expect(actions.text.contains("swap_volume"), "\(actions.text)")

        }
    }
}
