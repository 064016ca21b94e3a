import OVSDB

/// Which rows a sync may delete: those named here and everything they hold; nil: every row the driver
/// manages (the drift repair).
public typealias OVNScope = Set<OVNRowKey>?

/// The northbound database as the driver sees it (a replica's snapshot), indexed by row identity, and
/// the operations that turn it into what the records want. Pure: the same snapshot and rows give the same
/// transaction.
public struct OVNSync {
    let tables: [String: [String: OVSDBRow]]
    /// Rows by key; more than one when the database holds duplicates (the first is kept).
    private(set) var uuids: [OVNRowKey: [String]] = [:]
    private(set) var keys: [String: OVNRowKey] = [:]
    /// The rows that hold a row: (container table, column, container uuid).
    private var holders: [String: [(table: String, column: String, uuid: String)]] = [:]

    public init(_ tables: [String: [String: OVSDBRow]]) {
        self.tables = tables
        let holding = OVNIdentity.children.merging(OVNIdentity.weakMembers) { $0 + $1 }
        for (table, columns) in holding {
            for (uuid, row) in tables[table] ?? [:] {
                for (column, _) in columns {
                    for child in row[column]?.setElements ?? [] {
                        if let id = child.uuidValue { holders[id, default: []].append((table, column, uuid)) }
                    }
                }
            }
        }
        // Containers first, so that a held row's key can name its container.
        for table in OVNIdentity.tables {
            for (uuid, row) in (tables[table] ?? [:]).sorted(by: { $0.key < $1.key }) {
                // A held row is the driver's only inside a container of the driver's.
                let owner = holders[uuid]?.first { holder in
                    keys[holder.uuid] != nil
                        && OVNIdentity.children[holder.table]?.contains { $0.column == holder.column } == true
                }
                let parent = owner.flatMap { keys[$0.uuid]?.name }
                if !OVNIdentity.rootTables.contains(table), parent == nil { continue }
                guard let name = OVNIdentity.name(table, row, parent: parent) else { continue }
                let key = OVNRowKey(table, name)
                keys[uuid] = key
                uuids[key, default: []].append(uuid)
            }
        }
    }

    /// The uuid of the row with `key`, if there is one.
    public func uuid(of key: OVNRowKey) -> String? { uuids[key]?.first }

    public func row(_ key: OVNRowKey) -> OVSDBRow? {
        uuid(of: key).flatMap { tables[key.table]?[$0] }
    }

    /// Every managed row in the database.
    public var allKeys: Set<OVNRowKey> { Set(uuids.keys) }

    /// The operations that make the rows of `scope` exactly `desired` (rows outside the scope are only
    /// added to or changed, never removed); empty when nothing differs.
    public func operations(desired: [OVNRow], scope: OVNScope) -> [OVSDBOperation] {
        var wanted: [OVNRowKey: OVNRow] = [:]
        for row in desired { wanted[row.key] = row }
        var newNames: [OVNRowKey: String] = [:]
        for (index, row) in desired.enumerated() where uuid(of: row.key) == nil && newNames[row.key] == nil {
            newNames[row.key] = "row\(index)"
        }
        func reference(_ key: OVNRowKey) -> OVSDBValue? {
            uuid(of: key).map(OVSDBValue.uuid) ?? newNames[key].map(OVSDBValue.namedUUID)
        }
        let doomed = removals(scope: scope, wanted: wanted)
        var inserts: [OVNRowKey: OVSDBRow] = [:]
        var updates: [OVSDBOperation] = []
        var mutations: [OVSDBOperation] = []
        for row in desired where wanted[row.key] == row {
            var columns = row.columns
            for (column, targets) in row.references { columns[column] = .set(targets.compactMap(reference)) }
            if let existing = uuid(of: row.key), let current = tables[row.table]?[existing] {
                let changed = columns.filter { Self.normalized($0.value) != Self.normalized(current[$0.key]) }
                if !changed.isEmpty { updates.append(.update(row.table, where: [.uuid(existing)], changed)) }
            } else {
                inserts[row.key] = columns
            }
        }
        for row in desired where wanted[row.key] == row {
            guard let member = reference(row.key) else { continue }
            let existing = uuid(of: row.key)
            for membership in row.memberships {
                if let container = uuid(of: membership.container) {
                    guard !doomed.contains(container) else { continue }
                    let held = tables[membership.container.table]?[container]?[membership.column]?.setElements ?? []
                    if existing == nil || !held.contains(member) {
                        mutations.append(
                            .mutate(
                                membership.container.table, where: [.uuid(container)],
                                [OVSDBMutation(membership.column, "insert", .set([member]))]))
                    }
                } else if inserts[membership.container] != nil {
                    let held = inserts[membership.container]?[membership.column]?.setElements ?? []
                    inserts[membership.container]?[membership.column] = .set(held + [member])
                }
            }
            // Containers that hold it and should not (a port left a security group).
            guard let existing else { continue }
            for holder in holders[existing] ?? [] where !doomed.contains(holder.uuid) {
                guard let container = keys[holder.uuid],
                    !row.memberships.contains(OVNMembership(container, holder.column))
                else { continue }
                mutations.append(
                    .mutate(
                        holder.table, where: [.uuid(holder.uuid)],
                        [OVSDBMutation(holder.column, "delete", .set([.uuid(existing)]))]))
            }
        }
        var operations: [OVSDBOperation] = []
        for row in desired where inserts[row.key] != nil {
            operations.append(.insert(row.table, inserts.removeValue(forKey: row.key)!, uuidName: newNames[row.key]))
        }
        operations += updates + mutations
        operations += deletions(doomed)
        return operations
    }

    /// Rows of the scope (with what they hold) that no desired row is, and the copies of a key beyond the
    /// first.
    private func removals(scope: OVNScope, wanted: [OVNRowKey: OVNRow]) -> Set<String> {
        var owned: [String] = []
        if let scope {
            var queue = scope.flatMap { uuids[$0] ?? [] }
            while let uuid = queue.popLast() {
                owned.append(uuid)
                guard let table = keys[uuid]?.table, let row = tables[table]?[uuid] else { continue }
                for (column, _) in OVNIdentity.children[table] ?? [] {
                    queue += (row[column]?.setElements ?? []).compactMap(\.uuidValue)
                }
            }
        } else {
            owned = Array(keys.keys)
        }
        var doomed: Set<String> = []
        for uuid in owned {
            guard let key = keys[uuid] else { continue }
            if wanted[key] == nil || uuids[key]?.first != uuid { doomed.insert(uuid) }
        }
        return doomed
    }

    /// Deletes root rows, and drops held rows from their containers (a container that goes takes them along).
    private func deletions(_ doomed: Set<String>) -> [OVSDBOperation] {
        var operations: [OVSDBOperation] = []
        for uuid in doomed.sorted() {
            guard let table = keys[uuid]?.table else { continue }
            if OVNIdentity.rootTables.contains(table) {
                operations.append(.delete(table, where: [.uuid(uuid)]))
                continue
            }
            for holder in holders[uuid] ?? [] where !doomed.contains(holder.uuid) {
                guard OVNIdentity.children[holder.table]?.contains(where: { $0.column == holder.column }) == true
                else { continue }
                operations.append(
                    .mutate(
                        holder.table, where: [.uuid(holder.uuid)],
                        [OVSDBMutation(holder.column, "delete", .set([.uuid(uuid)]))]))
            }
        }
        return operations
    }

    /// A datum in one form whatever way the server or the driver wrote it: a set's (or map's) elements in
    /// order, a lone atom as a set of one, a missing column as the empty set.
    static func normalized(_ value: OVSDBValue?) -> OVSDBValue {
        guard let value else { return .set([]) }
        if let pair = value.arrayValue, pair.count == 2, pair[0] == "map" {
            let entries = (pair[1].arrayValue ?? []).sorted {
                $0.serialized().lexicographicallyPrecedes($1.serialized())
            }
            return entries.isEmpty ? .set([]) : ["map", .array(entries)]
        }
        let elements = value.setElements.sorted { $0.serialized().lexicographicallyPrecedes($1.serialized()) }
        return .set(elements)
    }
}
