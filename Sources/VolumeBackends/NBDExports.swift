import Foundation
import HostSystem
import NovaCore
import VolumeCore

/// One qemu-storage-daemon per attachment, exporting one volume file over NBD under a name nobody can guess
/// (256 random bits), on a port of the configured range. Each export's record (port, name, pid) is a file in
/// `directory`, so a restarted volume service finds the daemons it started (they outlive it, as the guests
/// using them do) and stops them by PID.
public actor NBDExports {
    struct Record: Codable, Sendable {
        var attachmentID: String
        var volumeID: String
        var location: String
        /// The volume file the daemon serves.
        var file: String
        var port: Int
        var exportName: String
        var pid: Int32
        var readOnly: Bool
    }

    let directory: String
    let host: String
    let ports: ClosedRange<Int>

    init(directory: String, host: String, ports: ClosedRange<Int>) throws {
        self.directory = directory
        self.host = host
        self.ports = ports
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func recordPath(_ attachmentID: String) -> String { directory + "/\(attachmentID).json" }

    func records() -> [Record] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { name in
            FileManager.default.contents(atPath: directory + "/" + name).flatMap {
                try? JSONDecoder().decode(Record.self, from: $0)
            }
        }
    }

    static func alive(_ record: Record) -> Bool { ProcessRunner.isAlive(record.pid, marker: record.exportName) }

    /// The export of an attachment: the running one, or a new daemon.
    func start(attachmentID: String, location: String, file: String, readOnly: Bool, volumeID: String) async throws
        -> ConnectionInfo
    {
        if let record = records().first(where: { $0.attachmentID == attachmentID }), Self.alive(record),
            record.readOnly == readOnly
        {
            return info(record)
        }
        await stop(attachmentID: attachmentID)
        let used = Set(records().map(\.port))
        var lastError: (any Error)?
        for port in ports where !used.contains(port) {
            let record = Record(
                attachmentID: attachmentID, volumeID: volumeID, location: location, file: file, port: port,
                exportName: Self.secretName(), pid: 0, readOnly: readOnly)
            do {
                let pid = try await launch(record, file: file)
                var started = record
                started.pid = pid
                try JSONEncoder().encode(started).write(to: URL(fileURLWithPath: recordPath(attachmentID)))
                return info(started)
            } catch {
                lastError = error
                // A port someone else holds: the next one. Anything else ends the attempt.
                guard "\(error)".contains("Address already in use") else { throw error }
            }
        }
        throw lastError ?? NovaError.serviceUnavailable("No NBD port is free in \(ports) for another export.")
    }

    func launch(_ record: Record, file: String) async throws -> Int32 {
        let pidFile = directory + "/\(record.attachmentID).pid"
        // Two exports of one file are the norm for a moment when a server moves (the destination's attachment
        // is made before the source's goes), and for good with a multiattach volume: the volume service, not
        // QEMU's file locks, says who may write, so the daemons do not lock the file.
        let fileNode: JSON = [
            "driver": "file", "node-name": "file0", "filename": .string(file), "read-only": .bool(record.readOnly),
            "locking": "off",
        ]
        let diskNode: JSON = [
            "driver": "raw", "node-name": "disk0", "file": "file0", "read-only": .bool(record.readOnly),
        ]
        try await ProcessRunner.check(
            "qemu-storage-daemon",
            [
                "--daemonize", "--pidfile", pidFile, "--blockdev", fileNode.serialized(), "--blockdev",
                diskNode.serialized(), "--nbd-server", "addr.type=inet,addr.host=\(host),addr.port=\(record.port)",
                "--export",
                "type=nbd,id=export0,node-name=disk0,name=\(record.exportName),writable=\(record.readOnly ? "off" : "on")",
            ], logPath: directory + "/\(record.attachmentID).log")
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw NovaError.internalError("qemu-storage-daemon left no pid in \(pidFile)") }
        return pid
    }

    func info(_ record: Record) -> ConnectionInfo {
        ConnectionInfo(
            driverVolumeType: "nbd",
            data: [
                "host": host, "port": String(record.port), "export_name": record.exportName,
                "volume_id": record.volumeID, "access_mode": record.readOnly ? "ro" : "rw",
            ])
    }

    static func secretName() -> String {
        var generator = SystemRandomNumberGenerator()
        return StableHash.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Stops the attachment's daemon (SIGTERM, then SIGKILL after 5 s) and forgets it.
    func stop(attachmentID: String) async {
        for record in records() where record.attachmentID == attachmentID { await stop(record) }
    }

    func stop(_ record: Record) async {
        if record.pid > 0, Self.alive(record) {
            kill(record.pid, SIGTERM)
            for _ in 0..<500 where Self.alive(record) { try? await Task.sleep(for: .milliseconds(10)) }
            if Self.alive(record) { kill(record.pid, SIGKILL) }
        }
        for suffix in [".json", ".pid", ".log"] {
            try? FileManager.default.removeItem(atPath: directory + "/" + record.attachmentID + suffix)
        }
    }

    /// Stops every export of one volume file (the volume is being deleted).
    func stopAll(location: String) async {
        for record in records() where record.location == location { await stop(record) }
    }

    /// Starts again, on the same port under the same name, every recorded export whose daemon is gone (the
    /// host restarted): a guest's NBD client reconnects to it as it was.
    func revive() async -> [String] {
        var revived: [String] = []
        for record in records() where !Self.alive(record) {
            do {
                var started = record
                started.pid = try await launch(record, file: record.file)
                try JSONEncoder().encode(started).write(to: URL(fileURLWithPath: recordPath(record.attachmentID)))
                revived.append(record.attachmentID)
            } catch {
                revived.append("\(record.attachmentID) (failed: \(error))")
            }
        }
        return revived
    }

    /// The attachments whose daemons run.
    func running() -> Set<String> {
        Set(records().filter(Self.alive).map(\.attachmentID))
    }
}
