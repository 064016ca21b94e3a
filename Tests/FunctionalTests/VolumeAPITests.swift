import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// The block-storage API (Cinder v3 subset) through HTTP, on SQLite and (with NOVA_TEST_POSTGRES_URL) on
/// PostgreSQL: the volume and snapshot life cycles on the file backend, what each step leaves on disk,
/// isolation between projects, quotas and Cinder's error bodies.
@Suite struct VolumeAPITests {
    static let base = "/volume/v3"

    static func version(_ text: String) -> HTTPFields { [HTTPField.Name("OpenStack-API-Version")!: "volume " + text] }

    /// Waits until the volume (or snapshot, with `collection`) has left its transitional status.
    static func settled(
        _ client: CloudClient, _ id: String, token: String, collection: String = "volumes"
    ) async throws -> JSON? {
        let key = collection == "volumes" ? "volume" : "snapshot"
        for _ in 0..<200 {
            let reply = try await client.request(.get, base + "/\(collection)/\(id)", token: token)
            if reply.status == 404 { return nil }
            let status = reply.json?[key]?["status"]?.stringValue ?? ""
            if !["creating", "deleting", "extending", "uploading"].contains(status) { return reply.json?[key] }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\(collection) \(id) did not settle")
        return nil
    }

    static func create(_ client: CloudClient, token: String, _ body: JSONObject) async throws -> String {
        let reply = try await client.request(.post, base + "/volumes", token: token, body: ["volume": .object(body)])
        try #require(reply.status == 202, "\(reply.text)")
        return try #require(reply.json?["volume"]?["id"]?.stringValue)
    }

    static func fileSize(_ cloud: AllInOneCloud, _ name: String) -> Int? {
        let path = cloud.options.dataDirectory + "/volumes/" + name
        return (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
    }

    @Test func volumesAndSnapshotsLiveThroughTheirStatusesOnDisk() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            #expect(
                try await client.request(.get, "/volume").json?["versions"]?.arrayValue?.first?["version"] == "3.70")
            let id = try await Self.create(client, token: demo, ["size": 1, "name": "data"])
            let volume = try #require(try await Self.settled(client, id, token: demo))
            #expect(volume["status"] == "available" && volume["volume_type"] == "__DEFAULT__")
            #expect(Self.fileSize(cloud, "volume-\(id)") == 1 << 30)
            // Extended while available: the file grows.
            let extend = try await client.request(
                .post, Self.base + "/volumes/\(id)/action", token: demo, body: ["os-extend": ["new_size": 2]])
            #expect(extend.status == 202, "\(extend.text)")
            #expect(try await Self.settled(client, id, token: demo)?["size"] == 2)
            #expect(Self.fileSize(cloud, "volume-\(id)") == 2 << 30)
            let shrink = try await client.request(
                .post, Self.base + "/volumes/\(id)/action", token: demo, body: ["os-extend": ["new_size": 1]])
            #expect(shrink.status == 400 && shrink.json?["badRequest"]?["code"] == 400, "\(shrink.text)")
            // A snapshot; the volume cannot go while it has one; a new volume from it is a copy.
            let snapshot = try await client.request(
                .post, Self.base + "/snapshots", token: demo, body: ["snapshot": ["volume_id": .string(id)]])
            let snapshotID = try #require(snapshot.json?["snapshot"]?["id"]?.stringValue, "\(snapshot.text)")
            #expect(
                try await Self.settled(client, snapshotID, token: demo, collection: "snapshots")?["status"]
                    == "available")
            let refused = try await client.request(.delete, Self.base + "/volumes/\(id)", token: demo)
            #expect(refused.status == 400, "\(refused.text)")
            let copy = try await Self.create(client, token: demo, ["snapshot_id": .string(snapshotID), "size": 3])
            #expect(try await Self.settled(client, copy, token: demo)?["snapshot_id"]?.stringValue == snapshotID)
            #expect(Self.fileSize(cloud, "volume-\(copy)") == 3 << 30)
            let tooSmall = try await client.request(
                .post, Self.base + "/volumes", token: demo,
                body: ["volume": ["snapshot_id": .string(snapshotID), "size": 1]])
            #expect(tooSmall.status == 400, "\(tooSmall.text)")
            // Deletes remove the records and the files.
            #expect(
                try await client.request(.delete, Self.base + "/snapshots/\(snapshotID)", token: demo).status == 202)
            #expect(try await Self.settled(client, snapshotID, token: demo, collection: "snapshots") == nil)
            for volumeID in [id, copy] {
                #expect(
                    try await client.request(.delete, Self.base + "/volumes/\(volumeID)", token: demo).status == 202)
                #expect(try await Self.settled(client, volumeID, token: demo) == nil)
                #expect(Self.fileSize(cloud, "volume-\(volumeID)") == nil)
            }
        }
    }

    @Test func aVolumeFromAnImageHoldsItsBytesAndIsBootable() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let id = try await Self.create(client, token: demo, ["size": 1, "imageRef": .string(image)])
            let volume = try #require(try await Self.settled(client, id, token: demo))
            #expect(volume["status"] == "available" && volume["bootable"] == "true")
            #expect(volume["volume_image_metadata"]?["image_id"]?.stringValue == image)
            let data = try await client.request(.get, "/image/v2/images/\(image)/file", token: demo).bytes
            let handle = try #require(
                FileHandle(forReadingAtPath: cloud.options.dataDirectory + "/volumes/volume-\(id)"))
            #expect(Array(try handle.read(upToCount: data.count) ?? Data()) == data)
            let unknown = try await client.request(
                .post, Self.base + "/volumes", token: demo, body: ["volume": ["size": 1, "imageRef": "nope"]])
            #expect(unknown.status == 400, "\(unknown.text)")
        }
    }

    @Test func projectsSeeOnlyTheirOwnAndQuotasHold() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let admin = try await client.adminToken()
            let id = try await Self.create(client, token: demo, ["size": 1])
            _ = try await Self.settled(client, id, token: demo)
            #expect(try await client.request(.get, Self.base + "/volumes/\(id)", token: admin).status == 200)
            let adminOwn = try await client.request(.get, Self.base + "/volumes/detail", token: admin)
            #expect(adminOwn.json?["volumes"]?.arrayValue?.isEmpty == true)
            let all = try await client.request(.get, Self.base + "/volumes/detail?all_tenants=1", token: admin)
            #expect(all.json?["volumes"]?.arrayValue?.count == 1)
            let adminVolume = try await Self.create(client, token: admin, ["size": 1])
            let hidden = try await client.request(.get, Self.base + "/volumes/\(adminVolume)", token: demo)
            #expect(hidden.status == 404 && hidden.json?["itemNotFound"] != nil, "\(hidden.text)")
            let demoProject = try #require(
                all.json?["volumes"]?.arrayValue?.first?["os-vol-tenant-attr:tenant_id"]?.stringValue)
            let wrongURL = try await client.request(.get, Self.base + "/\(demoProject)/volumes", token: admin)
            #expect(wrongURL.status == 400, "\(wrongURL.text)")
            #expect(try await client.request(.get, Self.base + "/\(demoProject)/volumes", token: demo).status == 200)
            // Quotas: an admin lowers the demo project's; the next volume is refused with 413.
            let set = try await client.request(
                .put, Self.base + "/os-quota-sets/\(demoProject)", token: admin,
                body: ["quota_set": ["volumes": 1, "gigabytes": 5]])
            #expect(set.status == 200, "\(set.text)")
            let over = try await client.request(
                .post, Self.base + "/volumes", token: demo, body: ["volume": ["size": 1]])
            #expect(over.status == 413 && over.json?["overLimit"] != nil, "\(over.text)")
            let usage = try await client.request(
                .get, Self.base + "/os-quota-sets/\(demoProject)?usage=True", token: demo)
            #expect(usage.json?["quota_set"]?["volumes"]?["in_use"] == 1, "\(usage.text)")
            let limits = try await client.request(.get, Self.base + "/limits", token: demo)
            #expect(limits.json?["limits"]?["absolute"]?["totalGigabytesUsed"] == 1)
            let notAdmin = try await client.request(
                .put, Self.base + "/os-quota-sets/\(demoProject)", token: demo, body: ["quota_set": ["volumes": 100]])
            #expect(notAdmin.status == 403, "\(notAdmin.text)")
        }
    }

    @Test func badInputIsRefusedInCinderWordsAndChangesNothing() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            for size in [JSON.int(0), "abc", .double(1e30), .int(Int.max), .int(-1)] {
                let reply = try await client.request(
                    .post, Self.base + "/volumes", token: demo, body: ["volume": ["size": size]])
                #expect(reply.status == 400 && reply.json?["badRequest"] != nil, "\(size): \(reply.text)")
            }
            let type = try await client.request(
                .post, Self.base + "/volumes", token: demo, body: ["volume": ["size": 1, "volume_type": "gold"]])
            #expect(type.status == 404, "\(type.text)")
            let zone = try await client.request(
                .post, Self.base + "/volumes", token: demo, body: ["volume": ["size": 1, "availability_zone": "moon"]])
            #expect(zone.status == 400, "\(zone.text)")
            let tooNew = try await client.request(
                .get, Self.base + "/volumes", token: demo, headers: Self.version("3.99"))
            #expect(tooNew.status == 406, "\(tooNew.text)")
            let negotiated = try await client.request(
                .get, Self.base + "/volumes", token: demo, headers: Self.version("3.27"))
            #expect(negotiated.headers[HTTPField.Name("OpenStack-API-Version")!] == "volume 3.27")
            #expect(try await client.request(.get, Self.base + "/volumes", token: demo).json?["volumes"] == [])
            let id = try await Self.create(client, token: demo, ["size": 1])
            _ = try await Self.settled(client, id, token: demo)
            let reset = try await client.request(
                .post, Self.base + "/volumes/\(id)/action", token: demo, body: ["os-reset_status": ["status": "error"]])
            #expect(reset.status == 403, "\(reset.text)")
            let unknown = try await client.request(
                .post, Self.base + "/volumes/\(id)/action", token: demo, body: ["os-fly": [:]])
            #expect(unknown.status == 400, "\(unknown.text)")
            let badFilter = try await client.request(.get, Self.base + "/volumes/detail?colour=red", token: demo)
            #expect(badFilter.status == 400, "\(badFilter.text)")
            let filtered = try await client.request(.get, Self.base + "/volumes/detail?status=available", token: demo)
            #expect(filtered.json?["volumes"]?.arrayValue?.count == 1)
            let show = try await client.request(.get, Self.base + "/volumes/\(id)", token: demo)
            #expect(show.json?["volume"]?["status"] == "available" && show.json?["volume"]?["size"] == 1)
        }
    }
}
