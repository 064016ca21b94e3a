import Foundation
import NovaCore
import Synchronization

/// The instances a store decoded last, each with the stored JSON it came from. Listing servers decodes
/// every row's JSON, and most rows have not changed since the last list (clients poll), so a row whose
/// bytes are the same as last time reuses that decoding. Byte-equal text decodes to an equal instance,
/// so this can never answer with stale data; it only skips work.
final class DecodedInstances: Sendable {
    struct Entry {
        var text: String
        var instance: Instance
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// More distinct instances than this and the cache starts again (a bound on its memory).
    let capacity: Int

    init(capacity: Int = 20_000) { self.capacity = capacity }

    /// The instances of `rows` (uuid, stored JSON), decoding only those not seen with the same text.
    func instances(_ rows: [(uuid: String, text: String)]) throws -> [Instance] {
        var found: [Instance?] = entries.withLock { entries in
            rows.map { row in
                guard let entry = entries[row.uuid], Self.sameBytes(entry.text, row.text) else { return nil }
                return entry.instance
            }
        }
        var decoded: [String: Entry] = [:]
        for index in rows.indices where found[index] == nil {
            let instance = try StoredJSON.decode(Instance.self, rows[index].text)
            found[index] = instance
            decoded[rows[index].uuid] = Entry(text: rows[index].text, instance: instance)
        }
        if !decoded.isEmpty {
            let capacity = capacity
            entries.withLock { entries in
                if entries.count + decoded.count > capacity { entries.removeAll(keepingCapacity: true) }
                entries.merge(decoded) { _, new in new }
            }
        }
        return found.map { $0! }
    }

    /// Whether two texts are the same bytes: one `memcmp` for native strings (comparing them as sequences went
    /// byte by byte, and a listing compares every row it reads).
    static func sameBytes(_ first: String, _ second: String) -> Bool {
        guard first.utf8.count == second.utf8.count else { return false }
        let compared = first.utf8.withContiguousStorageIfAvailable { left in
            second.utf8.withContiguousStorageIfAvailable { right in
                left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
        return (compared ?? nil) ?? first.utf8.elementsEqual(second.utf8)
    }
}
