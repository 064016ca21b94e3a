import Foundation
import HTTPTypes
import HostSystem
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// A volume grown while attached (3.42): the volume service tells Nova (`volume-extended`), the server's
/// `extend_volume` action runs on its host and the guest's disk takes the new size. And how a compute host is
/// given a volume: on the volume service's own machine its file (Nova's `local` type), elsewhere, or with
/// `local_attach = false`, an NBD export.
@Suite struct VolumeExtendTests {
    static let version: HTTPFields = [HTTPField.Name("OpenStack-API-Version")!: "volume 3.70"]

    @Test func aVolumeGrownWhileAttachedGrowsTheGuestsDisk() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let admin = try await client.adminToken()
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("grower", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let volume = try await VolumeAttachmentTests.newVolume(client, token: demo)
            let attached = try await client.request(
                .post, "/compute/v2.1/servers/\(server)/os-volume_attachments", token: demo,
                body: ["volumeAttachment": ["volumeId": .string(volume)]])
            #expect(attached.status == 200, "\(attached.text)")
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, volume, token: demo, wanted: "in-use") == "in-use")
            let action = "/volume/v3/volumes/\(volume)/action"
            let old = try await client.request(
                .post, action, token: demo, body: ["os-extend": ["new_size": 2]],
                headers: [HTTPField.Name("OpenStack-API-Version")!: "volume 3.41"])
            #expect(old.status == 400, "an in-use volume grows from 3.42 only: \(old.text)")
            let grown = try await client.request(
                .post, action, token: demo, body: ["os-extend": ["new_size": 3]], headers: Self.version)
            #expect(grown.status == 202, "\(grown.text)")
            var size: Int?
            for _ in 0..<300 where size == nil {
                for driver in cloud.drivers.values where size == nil { size = await driver.volumeSize(volume) }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(size == 3 << 30, "the guest's disk is 3 GiB")
            #expect(
                try await VolumeAttachmentTests.volumeStatus(client, volume, token: demo, wanted: "in-use") == "in-use")
            let actions = try await client.request(
                .get, "/compute/v2.1/servers/\(server)/os-instance-actions", token: admin)
            let extend = actions.json?["instanceActions"]?.arrayValue?.first { $0["action"] == "extend_volume" }
            let request = try #require(extend?["request_id"]?.stringValue, "\(actions.text)")
            var events: [JSON] = []
            for _ in 0..<100 where !events.contains(where: { $0["result"] == "Success" }) {
                let shown = try await client.request(
                    .get, "/compute/v2.1/servers/\(server)/os-instance-actions/\(request)", token: admin,
                    version: "2.51")
                events = shown.json?["instanceAction"]?["events"]?.arrayValue ?? []
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(events.first?["event"] == "compute_extend_volume" && events.first?["result"] == "Success")
        }
    }

    /// A connector naming this machine gets the file; a connector of no machine, or any connector when the
    /// backend's `local_attach` is off, gets an export.
    @Test(.enabled(if: MachineIdentity.id != nil), arguments: [true, false])
    func aComputeHostOnTheVolumeServicesMachineGetsTheFile(localAttach: Bool) async throws {
        try await withCloud(configure: { $0.volume.localAttach = localAttach }) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let volume = try await VolumeAttachmentTests.newVolume(client, token: demo)
            for machine in [MachineIdentity.id, nil] {
                var connector: JSONObject = ["host": "elsewhere", "ip": "127.0.0.1"]
                if let machine { connector["machine_id"] = .string(machine) }
                let made = try await client.request(
                    .post, "/volume/v3/attachments", token: demo,
                    body: [
                        "attachment": [
                            "volume_uuid": .string(volume), "instance_uuid": .string(UUID().uuidString.lowercased()),
                            "connector": .object(connector),
                        ]
                    ], headers: Self.version)
                #expect(made.status == 200, "\(made.text)")
                let connection = made.json?["attachment"]?["connection_info"]
                if localAttach && machine != nil {
                    #expect(connection?["driver_volume_type"] == "local", "\(made.text)")
                    let path = connection?["data"]?["device_path"]?.stringValue ?? ""
                    #expect(path.hasSuffix("volume-" + volume) && FileManager.default.fileExists(atPath: path))
                    #expect(connection?["data"]?["export_name"] == nil)
                } else {
                    #expect(connection?["driver_volume_type"] == "nbd", "\(made.text)")
                }
                let id = try #require(made.json?["attachment"]?["id"]?.stringValue)
                let deleted = try await client.request(
                    .delete, "/volume/v3/attachments/\(id)", token: demo, headers: Self.version)
                #expect(deleted.status == 200, "\(deleted.text)")
            }
        }
    }
}
