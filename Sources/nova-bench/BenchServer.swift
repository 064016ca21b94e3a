import AsyncHTTPClient
import Foundation

/// A `nova-server all` process started for the benchmark on a free loopback port, stopped by its PID.
final class BenchServer: @unchecked Sendable {
    let process: Process
    let baseURL: String
    let coldStart: Double
    let dataDirectory: String

    init(process: Process, baseURL: String, coldStart: Double, dataDirectory: String) {
        self.process = process
        self.baseURL = baseURL
        self.coldStart = coldStart
        self.dataDirectory = dataDirectory
    }

    static func start(binary: String, fakeHosts: Int) async throws -> BenchServer {
        try await start(binary: binary, readyPath: "/identity/v3") { directory, port in
            [
                "all", "--data-dir", directory, "--listen", "127.0.0.1:\(port)", "--admin-password", "bench",
                "--fake-hosts", String(fakeHosts), "--log-level", "error",
            ]
        }
    }

    /// The all-in-one with the QEMU driver booting `guestImage` (registered as image nova-guest).
    /// The all-in-one with the QEMU driver; `config`: the text of a nova.conf it reads.
    static func startQEMU(binary: String?, guestImage: String, config: String? = nil) async throws -> BenchServer {
        let path =
            binary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("nova-server").path
        return try await start(binary: path, readyPath: "/identity/v3") { directory, port in
            var arguments = [
                "all", "--data-dir", directory, "--listen", "127.0.0.1:\(port)", "--admin-password", "bench",
                "--compute-driver", "qemu", "--guest-image", guestImage, "--log-level", "error",
                "--novncproxy-port", String(port + 1), "--rawvncproxy-port", String(port + 2),
            ]
            if let config {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try config.write(toFile: directory + "/nova.conf", atomically: true, encoding: .utf8)
                arguments += ["--config", directory + "/nova.conf"]
            }
            return arguments
        }
    }

    /// `nova-server placement` alone with `[api] auth_strategy = noauth2`.
    static func startPlacement(binary: String) async throws -> BenchServer {
        try await start(binary: binary, readyPath: "/placement/") { directory, port in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let config = directory + "/nova.conf"
            try "[api]\nauth_strategy = noauth2\n".write(toFile: config, atomically: true, encoding: .utf8)
            return [
                "placement", "--config", config, "--data-dir", directory, "--listen", "127.0.0.1:\(port)",
                "--log-level", "error",
            ]
        }
    }

    static func start(
        binary: String, readyPath: String, arguments: (_ directory: String, _ port: Int) throws -> [String]
    ) async throws -> BenchServer {
        let port = Int.random(in: 20_000..<40_000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nova-bench-\(UUID().uuidString)")
            .path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = try arguments(directory, port)
        process.standardOutput = FileHandle.nullDevice
        let started = Date()
        try process.run()
        let url = "http://127.0.0.1:\(port)"
        for _ in 0..<600 {
            let request = HTTPClientRequest(url: url + readyPath)
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)),
                response.status.code == 200
            {
                return BenchServer(
                    process: process, baseURL: url, coldStart: Date().timeIntervalSince(started),
                    dataDirectory: directory)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.terminate()
        throw BenchError("nova-server did not answer within 6 s")
    }

    /// Resident set size from /proc.
    func rssKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension BenchServer {
    /// Runs `measure` against a fresh all-in-one with one fake host (`binary`, else the nova-server beside this
    /// program), writes its figures to `output`, and stops the server either way.
    static func measureAllInOne(
        binary: String?, output: String, _ measure: (BenchClient, inout Figures) async throws -> Void
    ) async throws {
        let path =
            binary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("nova-server").path
        let server = try await start(binary: path, fakeHosts: 1)
        do {
            let api = try await BenchClient(baseURL: server.baseURL)
            var figures = Figures()
            try await measure(api, &figures)
            await api.shutdown()
            try figures.write(to: output)
        } catch {
            server.stop()
            throw error
        }
        server.stop()
    }
}
