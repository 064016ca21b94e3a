import Foundation
import HostSystem
import NovaCore
import Testing
import VolumeBackends
import VolumeCore

/// The file backend against the real tools: sparse files, copies, qemu-img, and NBD exports served by
/// qemu-storage-daemon, read back over NBD with qemu-img (skipped where QEMU's tools are not installed).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-storage-daemon")))
struct FileVolumeBackendTests {
    static func volume(_ size: Int) -> Volume {
        Volume(
            id: UUID().uuidString.lowercased(), projectID: "p", userID: "u", name: "v", size: size,
            availabilityZone: "nova", volumeTypeID: "t", createdAt: Date())
    }

    static func withBackend(_ body: (FileVolumeBackend, String) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "nova-volumes-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = Int.random(in: 20000...40000)
        let backend = try FileVolumeBackend(
            directory: directory, exportHost: "127.0.0.1", ports: port...(port + 20))
        try await body(backend, directory)
    }

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? -1
    }

    @Test func volumesAreMadeCopiedAndGrownAsSparseFiles() async throws {
        try await Self.withBackend { backend, directory in
            var volume = Self.volume(1)
            volume.providerLocation = try await backend.createVolume(volume)
            let file = directory + "/" + (volume.providerLocation ?? "")
            #expect(Self.size(file) == 1 << 30)
            let handle = try #require(FileHandle(forWritingAtPath: file))
            try handle.write(contentsOf: Data("marker".utf8))
            try handle.close()
            try await backend.extendVolume(volume, to: 2)
            #expect(Self.size(file) == 2 << 30)
            let snapshot = VolumeSnapshot(id: "s1", volume: volume, userID: "u", name: "s", description: "", at: Date())
            var withLocation = snapshot
            withLocation.providerLocation = try await backend.createSnapshot(snapshot, of: volume)
            let copy = Self.volume(3)
            let copyFile = directory + "/" + (try await backend.createVolume(copy, from: withLocation))
            #expect(Self.size(copyFile) == 3 << 30)
            let reader = try #require(FileHandle(forReadingAtPath: copyFile))
            #expect(String(decoding: try reader.read(upToCount: 6) ?? Data(), as: UTF8.self) == "marker")
            try reader.close()
            let image = directory + "/image.qcow2"
            try await ProcessRunner.check("qemu-img", ["create", "-f", "qcow2", image, "4G"])
            let small = Self.volume(1)
            _ = try await backend.createVolume(small)
            await #expect(throws: NovaError.self) {
                try await backend.copyImage(toVolume: small, imageFile: image, format: "qcow2")
            }
            try await backend.deleteVolume(copy)
            #expect(!FileManager.default.fileExists(atPath: copyFile))
        }
    }

    @Test func anExportServesTheVolumeAndComesBackAfterItsDaemonDied() async throws {
        try await Self.withBackend { backend, _ in
            var volume = Self.volume(1)
            volume.providerLocation = try await backend.createVolume(volume)
            let info = try await backend.initializeConnection(
                volume, attachmentID: "a1", connector: VolumeConnector(host: "h"), readOnly: false)
            #expect(info.driverVolumeType == "nbd" && info.data["export_name"]?.count == 64)
            let url = "nbd://127.0.0.1:\(info.data["port"] ?? "")/\(info.data["export_name"] ?? "")"
            let read = try await ProcessRunner.check("qemu-img", ["info", "--output=json", url])
            #expect(JSON.parse(Array(read.utf8))?["virtual-size"]?.intValue == 1 << 30, "\(read)")
            // A guessed name is refused.
            let guessed = try await ProcessRunner.run(
                "qemu-img", ["info", "nbd://127.0.0.1:\(info.data["port"] ?? "")/a1"])
            #expect(guessed.status != 0)
            #expect(await backend.exportedAttachments() == ["a1"])
            // The daemon dies (the host restarted): it is served again on the same port under the same name.
            let pids = try await ProcessRunner.check("pgrep", ["-f", info.data["export_name"] ?? "none"])
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(await backend.exportedAttachments().isEmpty)
            #expect(await backend.restoreExports() == ["a1"])
            let again = try await ProcessRunner.check("qemu-img", ["info", "--output=json", url])
            #expect(JSON.parse(Array(again.utf8))?["virtual-size"]?.intValue == 1 << 30)
            try await backend.terminateConnection(volume, attachmentID: "a1")
            #expect(await backend.exportedAttachments().isEmpty)
            try await backend.deleteVolume(volume)
        }
    }
}
