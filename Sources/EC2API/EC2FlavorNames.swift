import Foundation
import NovaCore
import Synchronization

/// Instance types by name: the flavors a project was last shown (`GET /flavors`), kept for `lifetime` so that a
/// burst of RunInstances lists them once. A name not among them is looked up again at once (a flavor made or
/// shared since), and the compute API still checks the flavor each boot uses: one deleted or no longer shared
/// meanwhile fails that boot and is forgotten here.
final class EC2FlavorNames: Sendable {
    struct Shown {
        var ids: [String: String]
        var at: Date
    }

    let lifetime: TimeInterval
    private let shown = Mutex<[String: Shown]>([:])

    init(lifetime: TimeInterval = 30) { self.lifetime = lifetime }

    /// The flavor id of `name` as the viewer `key` was last shown it, if that is recent.
    func id(of name: String, for key: String, now: Date) -> String? {
        shown.withLock { shown in
            guard let entry = shown[key], now.timeIntervalSince(entry.at) < lifetime else { return nil }
            return entry.ids[name]
        }
    }

    func remember(_ ids: [String: String], for key: String, now: Date) {
        shown.withLock { shown in
            if shown.count > 10_000 { shown.removeAll() }
            shown[key] = Shown(ids: ids, at: now)
        }
    }

    func forget(_ key: String) { shown.withLock { _ = $0.removeValue(forKey: key) } }
}
