import Foundation

/// One row of a replica: its columns as the server sent them.
public typealias OVSDBRow = [String: OVSDBValue]

/// A row that changed in one update: nil `old` for an insert, nil `new` for a delete.
public struct OVSDBRowChange: Sendable, Equatable {
    public var table: String
    public var uuid: String
    public var old: OVSDBRow?
    public var new: OVSDBRow?
}

/// An in-memory copy of the tables a `monitor` watches, kept current by its `update` notifications
/// (RFC 7047 section 4.1.6: `new` carries every monitored column of an inserted or modified row, a row
/// without `new` is gone). The client applies updates in the order the server sent them, before the
/// responses that follow them are delivered, so a transaction's effect is in the replica when its reply
/// arrives (ovsdb-server sends a monitor's update before the reply to the transaction that caused it).
public final class OVSDBReplica: @unchecked Sendable {
    private let lock = NSLock()
    private var tables: [String: [String: OVSDBRow]] = [:]
    private var version = 0
    private let onChange: (@Sendable ([OVSDBRowChange]) -> Void)?

    /// `onChange` is told of each update's changed rows, on the connection's reader: keep it short.
    public init(onChange: (@Sendable ([OVSDBRowChange]) -> Void)? = nil) {
        self.onChange = onChange
    }

    /// The rows of `table` by UUID.
    public func rows(_ table: String) -> [String: OVSDBRow] {
        lock.withLock { tables[table] ?? [:] }
    }

    public func row(_ table: String, _ uuid: String) -> OVSDBRow? {
        lock.withLock { tables[table]?[uuid] }
    }

    /// Every table at once, consistent with one another.
    public func snapshot() -> [String: [String: OVSDBRow]] {
        lock.withLock { tables }
    }

    /// How many updates were applied: changes when anything did.
    public var updateCount: Int { lock.withLock { version } }

    /// Applies a monitor's initial contents or an `update` (`{table: {uuid: {"old": row, "new": row}}}`).
    public func apply(_ update: OVSDBValue) {
        var changes: [OVSDBRowChange] = []
        lock.withLock {
            for (table, rows) in update.objectValue ?? [:] {
                for (uuid, change) in rows.objectValue ?? [:] {
                    let old = tables[table]?[uuid]
                    let new = change["new"]?.objectValue
                    tables[table, default: [:]][uuid] = new
                    changes.append(OVSDBRowChange(table: table, uuid: uuid, old: old, new: new))
                }
            }
            version += 1
        }
        if !changes.isEmpty { onChange?(changes) }
    }

    /// Forgets everything (a new connection's monitor starts over).
    public func reset() {
        lock.withLock {
            tables = [:]
            version += 1
        }
    }
}
