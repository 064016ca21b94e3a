import Foundation
import NovaCore

/// Runs helper programs (qemu-img, QEMU itself) without blocking a thread of the cooperative pool.
enum ProcessRunner {
    struct Output {
        var status: Int32
        var output: String
    }

    /// Runs `executable` to its end; stdout and stderr together, or into `logPath` when given (for QEMU,
    /// whose daemon keeps the inherited descriptors).
    static func run(_ executable: String, _ arguments: [String], logPath: String? = nil) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(executable))
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        if let logPath {
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardOutput = log
            process.standardError = log
        } else {
            process.standardOutput = pipe
            process.standardError = pipe
        }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        if let logPath {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return Output(status: status, output: text)
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return Output(status: status, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs and throws with the program's own words when it fails.
    @discardableResult
    static func check(_ executable: String, _ arguments: [String], logPath: String? = nil) async throws -> String {
        let result = try await run(executable, arguments, logPath: logPath)
        guard result.status == 0 else {
            let name = (executable as NSString).lastPathComponent
            throw NovaError.internalError(
                "\(name) failed (exit \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return result.output
    }

    static func resolve(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw NovaError.internalError("\(executable) is not installed (apt-get install qemu-system-x86 qemu-utils)")
    }

    /// Whether `pid` is a live process (not gone, not a zombie) whose command line mentions `marker`.
    static func isAlive(_ pid: Int32, marker: String? = nil) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        if let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].hasPrefix(" Z") { return false }
        guard let marker else { return true }
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: cmdline, as: UTF8.self).contains(marker)
    }
}
