import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Nova's block-storage proxies below 2.36 (`os-volumes`, `os-snapshots`) and `os-volumes_boot` (to 2.102),
/// over the volume service in this process.
@Suite struct VolumeProxyTests {
    static let compute = "/compute/v2.1"

    @Test func osVolumesAndOsSnapshotsProxyTheVolumeServiceInNovasShapes() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let made = try await client.request(
                .post, Self.compute + "/os-volumes", token: demo, version: "2.35",
                body: ["volume": ["size": "1", "display_name": "legacy", "metadata": ["k": "v"]]])
            #expect(made.status == 200, "\(made.text)")
            let id = try #require(made.json?["volume"]?["id"]?.stringValue)
            #expect(made.json?["volume"]?["displayName"] == "legacy" && made.json?["volume"]?["size"] == 1)
            #expect(made.headers[.location]?.hasSuffix("/os-volumes/\(id)") == true)
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, id, token: demo, wanted: "available")
                    == "available")
            let shown = try await client.request(.get, Self.compute + "/os-volumes/\(id)", token: demo)
            #expect(shown.json?["volume"]?["status"] == "available", "\(shown.text)")
            #expect(shown.json?["volume"]?["attachments"] == [[:]], "\(shown.text)")
            #expect(shown.json?["volume"]?["metadata"]?["k"] == "v" && shown.json?["volume"]?["volumeType"] != nil)
            let listed = try await client.request(.get, Self.compute + "/os-volumes/detail?limit=5", token: demo)
            #expect(listed.json?["volumes"]?.arrayValue?.map { $0["id"] } == [.string(id)], "\(listed.text)")
            #expect(
                try await client.request(.get, Self.compute + "/os-volumes?offset=1", token: demo).json?["volumes"]
                    == [])
            // Attached to a server, the view names it.
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("vm", token: demo, image: image)
            _ = try await client.waitFor(server, status: "ACTIVE", token: demo)
            let attach = try await client.request(
                .post, Self.compute + "/servers/\(server)/os-volume_attachments", token: demo,
                body: ["volumeAttachment": ["volumeId": .string(id)]])
            #expect(attach.status == 200, "\(attach.text)")
            _ = try await VolumeAttachmentTests.volumeStatus(client, id, token: demo, wanted: "in-use")
            let attached = try await client.request(.get, Self.compute + "/os-volumes/\(id)", token: demo)
            let attachment = attached.json?["volume"]?["attachments"]?.arrayValue?.first
            #expect(attachment?["serverId"]?.stringValue == server && attachment?["device"] == "/dev/vdb")
            #expect(attachment?["volumeId"]?.stringValue == id, "\(attached.text)")
            let inUse = try await client.request(.delete, Self.compute + "/os-volumes/\(id)", token: demo)
            #expect(inUse.status == 400, "an attached volume is not deleted: \(inUse.text)")
            _ = try await client.request(
                .delete, Self.compute + "/servers/\(server)/os-volume_attachments/\(id)", token: demo)
            _ = try await VolumeAttachmentTests.volumeStatus(client, id, token: demo, wanted: "available")

            // Snapshots.
            let snapshot = try await client.request(
                .post, Self.compute + "/os-snapshots", token: demo,
                body: ["snapshot": ["volume_id": .string(id), "display_name": "snap", "force": "false"]])
            #expect(snapshot.status == 200, "\(snapshot.text)")
            let snapshotID = try #require(snapshot.json?["snapshot"]?["id"]?.stringValue)
            #expect(snapshot.json?["snapshot"]?["volumeId"]?.stringValue == id)
            #expect(snapshot.json?["snapshot"]?["displayName"] == "snap")
            let snapshots = try await client.request(.get, Self.compute + "/os-snapshots/detail", token: demo)
            #expect(snapshots.json?["snapshots"]?.arrayValue?.count == 1, "\(snapshots.text)")
            var gone = false
            for _ in 0..<200 where !gone {
                let deleted = try await client.request(
                    .delete, Self.compute + "/os-snapshots/\(snapshotID)", token: demo)
                gone = deleted.status == 202
                if !gone { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(gone)
            for _ in 0..<200 {
                let left = try await client.request(.get, Self.compute + "/os-snapshots", token: demo)
                if left.json?["snapshots"] == [] { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let deleted = try await client.request(.delete, Self.compute + "/os-volumes/\(id)", token: demo)
            #expect(deleted.status == 202, "\(deleted.text)")

            // Bad requests, and the proxies' end at 2.36.
            for body: JSON in [
                ["volume": [:]], ["volume": ["size": 0]], ["volume": ["size": "one"]],
                ["volume": ["size": 1, "colour": "red"]], ["volume": ["size": 1], "extra": 1],
                ["volume": ["size": 1, "metadata": "x"]], ["volume": "x"],
            ] {
                let reply = try await client.request(.post, Self.compute + "/os-volumes", token: demo, body: body)
                #expect(reply.status == 400 && reply.json?["badRequest"] != nil, "\(body.serialized()): \(reply.text)")
            }
            let noVolume = try await client.request(
                .post, Self.compute + "/os-snapshots", token: demo, body: ["snapshot": ["display_name": "x"]])
            #expect(noVolume.status == 400, "\(noVolume.text)")
            let unknown = try await client.request(
                .get, Self.compute + "/os-volumes/11111111-2222-3333-4444-555555555555", token: demo)
            #expect(unknown.status == 404 && unknown.json?["itemNotFound"] != nil, "\(unknown.text)")
            for path in ["/os-volumes", "/os-snapshots"] {
                let late = try await client.request(.get, Self.compute + path, token: demo, version: "2.36")
                #expect(late.status == 404, "\(path) at 2.36: \(late.text)")
            }
        }
    }

    @Test func osVolumesBootIsTheServersAPIUpTo2_102() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let made = try await client.request(
                .post, Self.compute + "/os-volumes_boot", token: demo, version: "2.96",
                body: ["server": ["name": "vb", "flavorRef": "1", "imageRef": .string(image), "networks": "none"]])
            #expect(made.status == 202, "\(made.text)")
            let id = try #require(made.json?["server"]?["id"]?.stringValue)
            _ = try await client.waitFor(id, status: "ACTIVE", token: demo)
            let shown = try await client.request(.get, Self.compute + "/os-volumes_boot/\(id)", token: demo)
            #expect(shown.json?["server"]?["name"] == "vb", "\(shown.text)")
            let listed = try await client.request(.get, Self.compute + "/os-volumes_boot/detail", token: demo)
            #expect(listed.json?["servers"]?.arrayValue?.count == 1)
            let late = try await client.request(
                .get, Self.compute + "/os-volumes_boot/\(id)", token: demo, version: "2.103")
            // 404 from 2.103 (while this cloud's maximum is below it, 2.103 itself is refused with 406).
            #expect(late.status == (APIVersion.maximum >= APIVersion(2, 103) ? 404 : 406), "\(late.text)")
            let deleted = try await client.request(.delete, Self.compute + "/os-volumes_boot/\(id)", token: demo)
            #expect(deleted.status == 204, "\(deleted.text)")
        }
    }
}
