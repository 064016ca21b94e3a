import Foundation
import NovaCore

/// Runs helper programs (qemu-img, QEMU itself, iproute2's ip) without blocking a thread of the cooperative pool.
public enum ProcessRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs `executable` to its end; stdout and stderr go to `logPath` (a temporary file when nil) and come
    /// back as `output`. posix_spawn and waitpid rather than Foundation's Process, which waits for inherited
    /// descriptors to close: QEMU's daemon keeps them, so its parent's exit would go unseen.
    public static func run(_ executable: String, _ arguments: [String], logPath: String? = nil) async throws -> Output {
        let path = try resolve(executable)
        let log = logPath ?? NSTemporaryDirectory() + "nova-run-\(UUID().uuidString)"
        defer { if logPath == nil { try? FileManager.default.removeItem(atPath: log) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process's: a daemon (QEMU outlives the service by design) would otherwise keep
        // the service's listening sockets, and a restarted service could not listen again.
        guard closeFrom(&actions, 3) else {
            throw NovaError.internalError("this C library cannot close a spawned program's inherited descriptors")
        }
        // The child starts with no blocked signals and default handlers: the calling thread's mask (Swift's
        // runtime threads block most signals) would otherwise leave QEMU deaf to SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw NovaError.internalError("cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        let child = pid
        let status = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) == -1, errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        let exitCode = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Output(status: exitCode, output: text)
    }

    /// Runs and throws with the program's own words when it fails.
    @discardableResult
    public static func check(_ executable: String, _ arguments: [String], logPath: String? = nil) async throws -> String
    {
        let result = try await run(executable, arguments, logPath: logPath)
        guard result.status == 0 else {
            let name = (executable as NSString).lastPathComponent
            throw NovaError.internalError(
                "\(name) failed (exit \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return result.output
    }

    /// posix_spawn_file_actions_addclosefrom_np (glibc 2.34; declared for _GNU_SOURCE only, which Swift's
    /// import of it does not define).
    static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) -> Bool {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return false }
        return unsafeBitCast(symbol, to: CloseFrom.self)(&actions, lowest) == 0
    }

    public static func resolve(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for directory in directories {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw NovaError.internalError(
            "\(executable) is not installed (see the README for the packages a compute host needs)")
    }

    /// Whether `pid` is a live process (not gone, not a zombie) whose command line mentions `marker`.
    public static func isAlive(_ pid: Int32, marker: String? = nil) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        if let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].hasPrefix(" Z") { return false }
        guard let marker else { return true }
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: cmdline, as: UTF8.self).contains(marker)
    }
}
