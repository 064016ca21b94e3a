/// One operation of a `transact` (RFC 7047 section 5.2).
public struct OVSDBOperation: Sendable, Equatable {
    public var json: OVSDBValue

    public init(json: OVSDBValue) { self.json = json }

    /// A new row; `uuidName` lets later operations of the transaction refer to it (`namedUUID`).
    public static func insert(_ table: String, _ row: [String: OVSDBValue], uuidName: String? = nil) -> Self {
        var op: [String: OVSDBValue] = ["op": "insert", "table": .string(table), "row": .object(row)]
        if let uuidName { op["uuid-name"] = .string(uuidName) }
        return Self(json: .object(op))
    }

    public static func update(_ table: String, where conditions: [OVSDBCondition], _ row: [String: OVSDBValue])
        -> Self
    {
        Self(
            json: [
                "op": "update", "table": .string(table), "where": .array(conditions.map(\.json)),
                "row": .object(row),
            ])
    }

    public static func delete(_ table: String, where conditions: [OVSDBCondition]) -> Self {
        Self(json: ["op": "delete", "table": .string(table), "where": .array(conditions.map(\.json))])
    }

    public static func select(_ table: String, where conditions: [OVSDBCondition] = [], columns: [String]? = nil)
        -> Self
    {
        var op: [String: OVSDBValue] = [
            "op": "select", "table": .string(table), "where": .array(conditions.map(\.json)),
        ]
        if let columns { op["columns"] = .array(columns.map(OVSDBValue.string)) }
        return Self(json: .object(op))
    }

    public static func mutate(_ table: String, where conditions: [OVSDBCondition], _ mutations: [OVSDBMutation])
        -> Self
    {
        Self(
            json: [
                "op": "mutate", "table": .string(table), "where": .array(conditions.map(\.json)),
                "mutations": .array(mutations.map(\.json)),
            ])
    }

    /// Fails the transaction unless the rows matching `conditions` (in `columns`) are exactly `rows`
    /// (`until: "=="`) or are not (`"!="`): optimistic concurrency.
    public static func wait(
        _ table: String, where conditions: [OVSDBCondition], columns: [String], until: String, rows: [OVSDBValue],
        timeout: Int64 = 0
    ) -> Self {
        Self(
            json: [
                "op": "wait", "table": .string(table), "where": .array(conditions.map(\.json)),
                "columns": .array(columns.map(OVSDBValue.string)), "until": .string(until), "rows": .array(rows),
                "timeout": .integer(timeout),
            ])
    }

    public static func comment(_ text: String) -> Self { Self(json: ["op": "comment", "comment": .string(text)]) }
}

/// `[column, function, value]`.
public struct OVSDBCondition: Sendable, Equatable {
    public var column: String
    public var function: String
    public var value: OVSDBValue

    public init(_ column: String, _ function: String, _ value: OVSDBValue) {
        self.column = column
        self.function = function
        self.value = value
    }

    public static func equals(_ column: String, _ value: OVSDBValue) -> Self { Self(column, "==", value) }
    public static func uuid(_ id: String) -> Self { Self("_uuid", "==", .uuid(id)) }

    var json: OVSDBValue { [.string(column), .string(function), value] }
}

/// `[column, mutator, value]`: `insert`/`delete` of set or map elements, or arithmetic.
public struct OVSDBMutation: Sendable, Equatable {
    public var column: String
    public var mutator: String
    public var value: OVSDBValue

    public init(_ column: String, _ mutator: String, _ value: OVSDBValue) {
        self.column = column
        self.mutator = mutator
        self.value = value
    }

    var json: OVSDBValue { [.string(column), .string(mutator), value] }
}
