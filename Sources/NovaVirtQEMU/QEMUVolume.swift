import Foundation
import NovaCore
import QMP

/// One volume's QEMU objects, from the volume service's connection info: an NBD export (`driver_volume_type:
/// nbd`: host, port, export name) reached by QEMU's NBD client, or the volume's file on this machine (`local`:
/// `device_path`) under a raw node.
struct QEMUVolume {
    enum Transport: Equatable {
        case nbd(host: String, port: Int, exportName: String)
        case file(path: String)
    }

    let volumeID: String
    let transport: Transport
    let readOnly: Bool

    init(device: BlockDeviceMapping, connection: JSON) throws {
        let data = connection["data"]
        switch connection["driver_volume_type"]?.stringValue {
        case "nbd":
            guard let host = data?["host"]?.stringValue,
                let port = data?["port"]?.stringValue.flatMap({ Int($0) }) ?? data?["port"]?.intValue,
                let export = data?["export_name"]?.stringValue
            else { throw Self.unreachable(device, connection) }
            transport = .nbd(host: host, port: port, exportName: export)
        case "local":
            guard let path = data?["device_path"]?.stringValue, path.hasPrefix("/") else {
                throw Self.unreachable(device, connection)
            }
            transport = .file(path: path)
        default:
            throw Self.unreachable(device, connection)
        }
        volumeID = device.volumeID
        readOnly = data?["access_mode"]?.stringValue == "ro"
    }

    static func unreachable(_ device: BlockDeviceMapping, _ connection: JSON) -> NovaError {
        NovaError.internalError(
            "volume \(device.volumeID): this driver reaches NBD exports and local files, not \(connection.serialized().prefix(200))"
        )
    }

    /// Seconds QEMU's NBD client holds a guest's I/O while it reconnects to a volume host that restarted.
    static let reconnectDelay = 30

    /// QEMU's names are at most 31 characters: the id's hex digits, shortened.
    static func short(_ volumeID: String) -> String { String(volumeID.filter(\.isHexDigit).prefix(24)) }
    static func nodeName(_ volumeID: String) -> String { "vol" + short(volumeID) }
    static func deviceID(_ volumeID: String) -> String { "disk" + short(volumeID) }
    var nodeName: String { Self.nodeName(volumeID) }

    /// The node the guest's disk reads: the NBD client, or a raw node over the file (not locked: the volume
    /// service's attachments say who may write, as for its exports).
    var blockdev: [String: QMPValue] {
        switch transport {
        case .nbd(let host, let port, let exportName):
            return [
                "driver": "nbd", "node-name": .string(nodeName),
                "server": ["type": "inet", "host": .string(host), "port": .string(String(port))],
                "export": .string(exportName), "read-only": .bool(readOnly),
                "reconnect-delay": .number(Double(Self.reconnectDelay)),
            ]
        case .file(let path):
            return [
                "driver": "raw", "node-name": .string(nodeName), "read-only": .bool(readOnly),
                "file": [
                    "driver": "file", "filename": .string(path), "locking": "off", "read-only": .bool(readOnly),
                ],
            ]
        }
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let node = (try? encoder.encode(QMPValue.object(blockdev))).map { String(decoding: $0, as: UTF8.self) }
        return [
            "-blockdev", node ?? "{}",
            "-device",
            "virtio-blk-pci,drive=\(nodeName),id=\(Self.deviceID(volumeID)),serial=\(volumeID.prefix(20))"
                + (bootIndex.map { ",bootindex=\($0)" } ?? ""),
        ]
    }
}
