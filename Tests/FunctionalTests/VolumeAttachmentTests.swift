import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Volumes on servers: Nova's os-volume_attachments over the volume service's attachments API, with the fake
/// driver recording the disks and the file backend exporting each attachment over NBD (a real
/// qemu-storage-daemon per attachment).
@Suite struct VolumeAttachmentTests {
    static let volumes = "/volume/v3"

    static func volumeStatus(_ client: CloudClient, _ id: String, token: String, wanted: String) async throws -> String?
    {
        var status: String?
        for _ in 0..<300 {
            let reply = try await client.request(.get, volumes + "/volumes/\(id)", token: token)
            if reply.status == 404 { return nil }
            status = reply.json?["volume"]?["status"]?.stringValue
            if status == wanted { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        return status
    }

    static func newVolume(_ client: CloudClient, token: String) async throws -> String {
        let id = try await VolumeAPITests.create(client, token: token, ["size": 1])
        #expect(try await volumeStatus(client, id, token: token, wanted: "available") == "available")
        return id
    }

    @Test func aVolumeIsAttachedDetachedAndMovedBetweenServers() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let first = try await client.createServer("vm1", token: demo, image: image)
            let second = try await client.createServer("vm2", token: demo, image: image)
            _ = try await client.waitFor(first, status: "ACTIVE", token: demo)
            _ = try await client.waitFor(second, status: "ACTIVE", token: demo)
            let volume = try await Self.newVolume(client, token: demo)
            let path = "/compute/v2.1/servers/\(first)/os-volume_attachments"
            let attach = try await client.request(
                .post, path, token: demo, version: "2.79",
                body: ["volumeAttachment": ["volumeId": .string(volume), "tag": "data"]])
            #expect(attach.status == 200, "\(attach.text)")
            #expect(attach.json?["volumeAttachment"]?["device"] == "/dev/vdb")
            #expect(try await Self.volumeStatus(client, volume, token: demo, wanted: "in-use") == "in-use")
            var seen: [String: String] = [:]
            for candidate in cloud.drivers.values {
                seen.merge(await candidate.attachedVolumes(first)) { a, _ in a }
            }
            #expect(seen[volume] == "/dev/vdb")
            // The volume service's view: one attachment, to this server, with an NBD export.
            let shown = try await client.request(.get, Self.volumes + "/volumes/\(volume)", token: demo)
            let attachments = shown.json?["volume"]?["attachments"]?.arrayValue ?? []
            #expect(attachments.count == 1 && attachments.first?["server_id"]?.stringValue == first, "\(shown.text)")
            #expect(attachments.first?["device"] == "/dev/vdb", "\(shown.text)")
            let attachmentID = try #require(attachments.first?["attachment_id"]?.stringValue)
            let detail = try await client.request(
                .get, Self.volumes + "/attachments/\(attachmentID)", token: demo,
                headers: [HTTPField.Name("OpenStack-API-Version")!: "volume 3.44"])
            let connection = detail.json?["attachment"]?["connection_info"]
            #expect(connection?["driver_volume_type"] == "nbd", "\(detail.text)")
            #expect((connection?["data"]?["export_name"]?.stringValue?.count ?? 0) == 64)
            // The server shows it; a second server cannot have it while it is attached.
            let server = try await client.request(.get, "/compute/v2.1/servers/\(first)", token: demo, version: "2.3")
            #expect(
                server.json?["server"]?["os-extended-volumes:volumes_attached"]?.arrayValue?.first?["id"]?.stringValue
                    == volume)
            let twice = try await client.request(
                .post, "/compute/v2.1/servers/\(second)/os-volume_attachments", token: demo,
                body: ["volumeAttachment": ["volumeId": .string(volume)]])
            #expect(twice.status == 400 && twice.json?["badRequest"] != nil, "\(twice.text)")
            let listed = try await client.request(.get, path, token: demo, version: "2.70")
            #expect(listed.json?["volumeAttachments"]?.arrayValue?.first?["tag"] == "data")
            // Detached, it is available again and goes to the second server.
            let detach = try await client.request(.delete, path + "/\(volume)", token: demo)
            #expect(detach.status == 202, "\(detach.text)")
            #expect(try await Self.volumeStatus(client, volume, token: demo, wanted: "available") == "available")
            var left: [String: String] = [:]
            for candidate in cloud.drivers.values { left.merge(await candidate.attachedVolumes(first)) { a, _ in a } }
            #expect(left.isEmpty)
            let moved = try await client.request(
                .post, "/compute/v2.1/servers/\(second)/os-volume_attachments", token: demo, version: "2.79",
                body: ["volumeAttachment": ["volumeId": .string(volume), "delete_on_termination": true]])
            #expect(moved.status == 200, "\(moved.text)")
            #expect(try await Self.volumeStatus(client, volume, token: demo, wanted: "in-use") == "in-use")
            // Deleting the server lets the volume go, and deletes it (delete_on_termination).
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(second)", token: demo).status == 204)
            #expect(try await Self.volumeStatus(client, volume, token: demo, wanted: "gone") == nil)
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(first)", token: demo).status == 204)
        }
    }

    @Test func badAttachRequestsAreRefusedAndLeaveTheVolumeAvailable() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("vm1", token: demo, image: image)
            _ = try await client.waitFor(server, status: "ACTIVE", token: demo)
            let volume = try await Self.newVolume(client, token: demo)
            let path = "/compute/v2.1/servers/\(server)/os-volume_attachments"
            for body: JSON in [
                ["volumeAttachment": ["volumeId": "not-a-uuid"]], ["volumeAttachment": [:]],
                ["volumeAttachment": ["volumeId": .string(volume), "colour": "red"]],
                ["volumeAttachment": ["volumeId": .string(volume), "device": "vdb"]],
            ] {
                let reply = try await client.request(.post, path, token: demo, body: body)
                #expect(reply.status == 400, "\(body.serialized()): \(reply.text)")
            }
            let missing = try await client.request(
                .post, path, token: demo,
                body: ["volumeAttachment": ["volumeId": "11111111-2222-3333-4444-555555555555"]])
            #expect(missing.status == 404, "\(missing.text)")
            let notAttached = try await client.request(.delete, path + "/\(volume)", token: demo)
            #expect(notAttached.status == 404, "\(notAttached.text)")
            #expect(try await Self.volumeStatus(client, volume, token: demo, wanted: "available") == "available")
            let attachments = try await client.request(
                .get, Self.volumes + "/attachments", token: demo,
                headers: [HTTPField.Name("OpenStack-API-Version")!: "volume 3.27"])
            #expect(attachments.json?["attachments"]?.arrayValue?.isEmpty == true, "\(attachments.text)")
        }
    }

    /// Nova's attach and detach of a shelved, offloaded server: the volume is the server's at once (in-use, no
    /// host connection), its unshelve connects it on the new host; a detach lets it go without a host. 2.101
    /// answers the attach with 202 and no body.
    @Test func volumesOfAShelvedOffloadedServer() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let server = try await client.createServer(
                "shelf", token: demo, image: try await client.defaultImage(token: demo))
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            try await action(client, server, ["shelve": .null], demo, expect: 202)
            try await client.waitFor(server, status: "SHELVED_OFFLOADED", token: demo)
            let path = "/compute/v2.1/servers/\(server)/os-volume_attachments"
            let kept = try await Self.newVolume(client, token: demo)
            let attach = try await client.request(
                .post, path, token: demo, version: "2.101", body: ["volumeAttachment": ["volumeId": .string(kept)]])
            #expect(attach.status == 202 && attach.bytes.isEmpty, "\(attach.text)")
            #expect(try await Self.volumeStatus(client, kept, token: demo, wanted: "in-use") == "in-use")
            let dropped = try await Self.newVolume(client, token: demo)
            let second = try await client.request(
                .post, path, token: demo, body: ["volumeAttachment": ["volumeId": .string(dropped)]])
            #expect(second.status == 200, "\(second.text)")
            let detach = try await client.request(.delete, path + "/\(dropped)", token: demo)
            #expect(detach.status == 202, "\(detach.text)")
            #expect(try await Self.volumeStatus(client, dropped, token: demo, wanted: "available") == "available")

            try await action(client, server, ["unshelve": .null], demo, expect: 202)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let shown = try await client.request(.get, path + "/\(kept)", token: demo)
            #expect(shown.json?["volumeAttachment"]?["device"]?.stringValue?.hasPrefix("/dev/vd") == true)
            var seen: [String: String] = [:]
            for driver in cloud.drivers.values { seen.merge(await driver.attachedVolumes(server)) { a, _ in a } }
            #expect(seen[kept] != nil && seen[dropped] == nil, "\(seen)")
            #expect(try await Self.volumeStatus(client, kept, token: demo, wanted: "in-use") == "in-use")
        }
    }
}
