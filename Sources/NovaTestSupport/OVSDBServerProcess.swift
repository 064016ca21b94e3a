import Foundation

/// ovsdb-server on a database made from `schema`, in a temporary directory, with its own pidfile.
public struct OVSDBServerProcess: Sendable {
    public static let server = "/usr/sbin/ovsdb-server"
    public static let tool = "/usr/bin/ovsdb-tool"
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: server) && FileManager.default.isExecutableFile(atPath: tool)
    }

    public let directory: String
    public let process: Process
    public var remote: String { "unix:" + directory + "/db.sock" }

    public static func start(schema: String) throws -> OVSDBServerProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ovsdb-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let create = Process()
        create.executableURL = URL(fileURLWithPath: tool)
        create.arguments = ["create", directory + "/db", schema]
        try create.run()
        create.waitUntilExit()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: server)
        process.arguments = [
            directory + "/db", "--remote=punix:" + directory + "/db.sock", "--pidfile=" + directory + "/db.pid",
            "--unixctl=" + directory + "/db.ctl", "--log-file=" + directory + "/db.log",
        ]
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: directory + "/db.sock") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        return OVSDBServerProcess(directory: directory, process: process)
    }

    /// SIGTERM by its PID, then SIGKILL: a test process that ignores SIGTERM (the cloud's own signal
    /// handling) passes that on to the server it starts, and ovsdb-server keeps an ignored signal ignored.
    public func stop() {
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<10 where process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
