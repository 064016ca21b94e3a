import Foundation
import NATSClient

/// A real nats-server on a free loopback port, started by the test and stopped by its PID.
public final class NATSServerProcess: Sendable {
    public static let binary = ["/usr/bin/nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    let process: Process
    public var url: String { "nats://127.0.0.1:\(port)" }
    public let port: Int

    /// With `jetStream`, the server keeps streams (`-js`) in a temporary folder removed by `stop()`.
    let storeDirectory: String?

    public convenience init(jetStream: Bool = false) throws {
        try self.init(port: freeLoopbackPort(), jetStream: jetStream)
    }

    /// Waits until the server accepts connections.
    public func connect() async throws -> NATSConnection {
        for _ in 0..<100 {
            if let connection = try? await NATSConnection.connect(.init(host: "127.0.0.1", port: port)) {
                return connection
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NATSError.timedOut("nats-server on port \(port)")
    }

    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        if let storeDirectory { try? FileManager.default.removeItem(atPath: storeDirectory) }
    }

    /// A server again on the same port (after `stop`).
    public func restarted() throws -> NATSServerProcess { try NATSServerProcess(port: port, jetStream: false) }

    private init(port: Int, jetStream: Bool) throws {
        self.port = port
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary ?? "/usr/bin/nats-server")
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)"]
        if jetStream {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nats-js-\(UUID())").path
            process.arguments! += ["-js", "-sd", directory]
            storeDirectory = directory
        } else {
            storeDirectory = nil
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }
}
