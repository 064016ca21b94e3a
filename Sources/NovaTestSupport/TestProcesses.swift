import Foundation

/// Processes a test started that outlive what started them (daemonized helpers).
public enum TestProcesses {
    /// Sends SIGKILL to every live process whose command line contains `marker`.
    public static func kill(naming marker: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries.compactMap(Int32.init) where pid != getpid() {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if commandLine.contains(marker) { _ = Foundation.kill(pid, SIGKILL) }
        }
    }
}
