import Foundation
import HostSystem
import NovaCore
import NovaTestSupport
import NovaVirt
import NovaVirtQEMU
import Testing
import VolumeBackends
import VolumeCore

/// The QEMU driver through the shared volume cases, on volumes the file backend exports over NBD with
/// qemu-storage-daemon as the volume service does, or hands over as their files (a compute host on its
/// machine): a blank data volume hot-plugged into a booted guest over NBD, swapped onto a local file, attached
/// again (as a file) while the guest is stopped and grown while it runs, and a guest booted from a volume
/// holding the guest image over NBD.
/// In the driver's suite, so that it runs after its other guests rather than beside them.
extension QEMUDriverTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-storage-daemon")))
    func qemuDriverPassesTheVolumeCases() async throws {
        let directory = try QEMUEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = Int.random(in: 20000...40000)
        let backend = try FileVolumeBackend(
            directory: directory + "/volumes", exportHost: "127.0.0.1", ports: port...(port + 20))
        let driver = makeDriver(directory)
        try await driver.initHost(host: "qemu-test")

        var data = Self.volume(1)
        data.providerLocation = try await backend.createVolume(data)
        var other = Self.volume(1)
        other.providerLocation = try await backend.createVolume(other)
        var root = Self.volume(1)
        root.providerLocation = try await backend.createVolume(root)
        try await backend.copyImage(toVolume: root, imageFile: QEMUEnvironment.guestImage, format: "qcow2")

        /// Over NBD, or (`local`: a connector naming this machine) the volume's file itself.
        func mapping(_ volume: Volume, device: String, bootIndex: Int? = nil, local: Bool = false) async throws
            -> BlockDeviceMapping
        {
            let attachment = UUID().uuidString.lowercased()
            let connector = VolumeConnector(host: "qemu-test", machineID: local ? MachineIdentity.id : nil)
            let info = try await backend.initializeConnection(
                volume, attachmentID: attachment, connector: connector, readOnly: false)
            #expect(info.driverVolumeType == (local && MachineIdentity.id != nil ? "local" : "nbd"))
            let connection: JSON = [
                "driver_volume_type": .string(info.driverVolumeType),
                "data": .object(
                    JSONObject(info.data.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
            ]
            var mapping = DriverConformance.volume(
                volume.id, device: device, bootIndex: bootIndex, connection: connection)
            mapping.attachmentID = attachment
            return mapping
        }
        let instance = DriverConformance.instance(imageRef: "guest")
        let seen = ConsoleCounts()
        do {
            try await DriverConformance.checkVolumes(
                driver, instance: instance, data: try await mapping(data, device: "/dev/vdb"),
                again: try await mapping(data, device: "/dev/vdb", local: true),
                swapped: try await mapping(other, device: "/dev/vdb", local: true),
                root: try await mapping(root, device: "/dev/vda", bootIndex: 0),
                grow: { _ in
                    try await backend.extendVolume(data, to: 2)
                    return 2 << 30
                }
            ) { guest, moment in
                switch moment {
                case .started: try await seen.waitForMore(driver, guest, of: "NOVA-GUEST-BOOTED")
                case .attached(let id):
                    try await seen.waitForMore(driver, guest, of: "NOVA-GUEST-VOLUME-WROTE " + id.prefix(20))
                case .reattached(let id):
                    try await seen.waitForMore(driver, guest, of: "NOVA-GUEST-VOLUME-READ " + id.prefix(20))
                case .grown(let id, let bytes):
                    try await seen.waitForMore(
                        driver, guest, of: "NOVA-GUEST-VOLUME-SIZE \(id.prefix(20)) vdb \(bytes / 512)")
                }
            }
        } catch {
            for uuid in await driver.listInstanceUUIDs() {
                var guest = instance
                guest.uuid = uuid
                try? await driver.destroy(guest)
            }
            throw error
        }
        // The swap copied what the guest wrote on the first volume onto the other one.
        let file = try #require(FileHandle(forReadingAtPath: directory + "/volumes/" + (other.providerLocation ?? "")))
        let copied = String(decoding: try file.read(upToCount: 64) ?? Data(), as: UTF8.self)
        try file.close()
        #expect(copied.hasPrefix("NOVA-MARK"), "\(copied)")
        for attachment in await backend.exportedAttachments() {
            try await backend.terminateConnection(nil, attachmentID: attachment)
        }
        #expect(QEMUEnvironment.processes(naming: instance.uuid).isEmpty)
    }

    static func volume(_ size: Int) -> Volume {
        Volume(
            id: UUID().uuidString.lowercased(), projectID: "p", userID: "u", name: "v", size: size,
            availabilityZone: "nova", volumeTypeID: "t", createdAt: Date())
    }
}

/// How often each marker was on a guest's console when last looked: a wait is for one more of it.
actor ConsoleCounts {
    var counts: [String: Int] = [:]

    func waitForMore(_ driver: QEMUDriver, _ guest: Instance, of marker: String) async throws {
        let key = guest.uuid + " " + marker
        let before = counts[key] ?? 0
        for _ in 0..<1200 {
            let output = String(decoding: try await driver.consoleOutput(guest), as: UTF8.self)
            let now = output.components(separatedBy: marker).count - 1
            if now > before {
                counts[key] = now
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let tail = String(decoding: try await driver.consoleOutput(guest), as: UTF8.self).suffix(2000)
        Issue.record("no new \(marker) on the console of \(guest.uuid) in 120 s; it ends:\n\(tail)")
        throw NovaError.internalError("guest \(guest.uuid) did not show \(marker)")
    }
}
