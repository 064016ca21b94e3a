import Foundation
import NovaCore

/// `--poll`: shows the server's status and progress until it reaches a final state.
public struct Poller: Sendable {
    let session: Session
    let interval: Duration

    public init(session: Session, interval: Duration = .milliseconds(500)) {
        self.session = session
        self.interval = interval
    }

    /// Waits for one of `targets`; throws when the server goes to ERROR. `deleted` waits for a 404.
    public func wait(
        for id: String, targets: Set<String>, action: String, deleted: Bool = false,
        report: (String) -> Void
    ) async throws {
        while true {
            let server: JSON?
            do {
                server = try await session.compute(.GET, "/servers/\(id)")?["server"]
            } catch let error as ClientError where error.status == 404 && deleted {
                report("\nServer \(action)... 100% complete\n")
                return
            }
            let status = server?["status"]?.stringValue ?? "UNKNOWN"
            let progress = server?["progress"]?.intValue ?? (targets.contains(status) ? 100 : 0)
            report("\rServer \(action)... \(progress)% complete (\(status))")
            if targets.contains(status) && !deleted {
                report("\nFinished\n")
                return
            }
            if status == "ERROR" {
                let fault = server?["fault"]?["message"]?.stringValue ?? "no fault recorded"
                report("\n")
                throw ClientError("Server \(id) went to ERROR: \(fault)")
            }
            try await Task.sleep(for: interval)
        }
    }
}
