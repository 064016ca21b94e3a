import Foundation
import NovaCore
import QMP

/// Volumes as QEMU's userspace NBD client reaches them: a `blockdev` per volume, a virtio-blk device whose
/// serial is the volume id (the guest's `/dev/disk/by-id/virtio-<id>`, 20 characters of it), hot-plugged into
/// a running guest and on the command line of a guest that starts.
extension QEMUDriver {
    public func volumeConnector() async -> JSONObject {
        [
            "host": .string(config.hypervisorHostname), "ip": .string(config.hostIP), "multipath": false,
            "platform": "x86_64", "os_type": "linux", "do_local_attach": false,
        ]
    }

    public func attachVolume(_ instance: Instance, device: BlockDeviceMapping, connection: JSON) async throws {
        let node = try QEMUVolume(device: device, connection: connection)
        guard let client = connections[instance.uuid] else { return }
        do {
            try await client.execute("blockdev-add", node.blockdev)
            do {
                try await client.execute("device_add", node.device)
            } catch {
                _ = try? await client.execute("blockdev-del", ["node-name": .string(node.nodeName)])
                throw error
            }
        } catch {
            throw NovaError.internalError(
                "volume \(device.volumeID) could not be attached to \(instance.uuid): \(error)")
        }
    }

    /// The guest's devices from QOM (`qom-list /machine/peripheral`): the volumes whose virtio-blk is there.
    public func volumeIDs(of instance: Instance) async -> [String] {
        guard let client = connections[instance.uuid],
            let children = try? await client.execute("qom-list", ["path": "/machine/peripheral"]).arrayValue
        else { return [] }
        let names = Set(children.compactMap { $0["name"]?.stringValue })
        return (instance.blockDevices ?? []).map(\.volumeID).filter { names.contains(QEMUVolume.deviceID($0)) }
    }

    public func detachVolume(_ instance: Instance, device: BlockDeviceMapping) async throws {
        guard let client = connections[instance.uuid] else { return }
        let deviceID = QEMUVolume.deviceID(device.volumeID)
        try await unplug(deviceID, from: client, instance: instance, what: "volume \(device.volumeID)")
        _ = try? await client.execute("blockdev-del", ["node-name": .string(QEMUVolume.nodeName(device.volumeID))])
    }
}

/// One volume's QEMU objects, from the volume service's connection info (`driver_volume_type: nbd`).
struct QEMUVolume {
    let volumeID: String
    let host: String
    let port: Int
    let exportName: String
    let readOnly: Bool

    init(device: BlockDeviceMapping, connection: JSON) throws {
        guard connection["driver_volume_type"]?.stringValue == "nbd",
            let data = connection["data"], let host = data["host"]?.stringValue,
            let port = data["port"]?.stringValue.flatMap({ Int($0) }) ?? data["port"]?.intValue,
            let export = data["export_name"]?.stringValue
        else {
            throw NovaError.internalError(
                "volume \(device.volumeID): this driver reaches NBD volumes only, not \(connection.serialized().prefix(200))"
            )
        }
        volumeID = device.volumeID
        self.host = host
        self.port = port
        exportName = export
        readOnly = data["access_mode"]?.stringValue == "ro"
    }

    /// Seconds QEMU's NBD client holds a guest's I/O while it reconnects to a volume host that restarted.
    static let reconnectDelay = 30

    /// QEMU's names are at most 31 characters: the id's hex digits, shortened.
    static func short(_ volumeID: String) -> String { String(volumeID.filter(\.isHexDigit).prefix(24)) }
    static func nodeName(_ volumeID: String) -> String { "vol" + short(volumeID) }
    static func deviceID(_ volumeID: String) -> String { "disk" + short(volumeID) }
    var nodeName: String { Self.nodeName(volumeID) }

    var blockdev: [String: QMPValue] {
        [
            "driver": "nbd", "node-name": .string(nodeName),
            "server": ["type": "inet", "host": .string(host), "port": .string(String(port))],
            "export": .string(exportName), "read-only": .bool(readOnly),
            "reconnect-delay": .number(Double(Self.reconnectDelay)),
        ]
    }

    var device: [String: QMPValue] {
        [
            "driver": "virtio-blk-pci", "drive": .string(nodeName), "id": .string(Self.deviceID(volumeID)),
            "serial": .string(String(volumeID.prefix(20))),
        ]
    }

    /// The same as command-line options, for a guest that starts with the volume (the first it boots from with
    /// boot index 0).
    func arguments(bootIndex: Int? = nil) -> [String] {
        let server = "\"server\":{\"type\":\"inet\",\"host\":\"\(host)\",\"port\":\"\(port)\"}"
        return [
            "-blockdev",
            "{\"driver\":\"nbd\",\"node-name\":\"\(nodeName)\",\(server),\"export\":\"\(exportName)\",\"read-only\":\(readOnly),"
                + "\"reconnect-delay\":\(Self.reconnectDelay)}",
            "-device",
            "virtio-blk-pci,drive=\(nodeName),id=\(Self.deviceID(volumeID)),serial=\(volumeID.prefix(20))"
                + (bootIndex.map { ",bootindex=\($0)" } ?? ""),
        ]
    }
}
