import Foundation

/// Which machine this process runs on: systemd's `/etc/machine-id` (nil when the file is missing or empty, as in
/// some containers). Processes in different network namespaces of one machine share it, and its filesystem.
public enum MachineIdentity {
    public static let id: String? = {
        let text = (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8)) ?? ""
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }()
}
