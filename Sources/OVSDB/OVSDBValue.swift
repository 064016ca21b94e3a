import Foundation

/// A JSON value as the OVSDB protocol (RFC 7047) carries it: integers stay 64-bit integers, reals stay
/// reals, and the atom forms (`["uuid", ...]`, `["set", [...]]`, `["map", [...]]`) are arrays.
public enum OVSDBValue: Sendable, Hashable, Codable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral
{
    case null
    case bool(Bool)
    case integer(Int64)
    case real(Double)
    case string(String)
    case array([OVSDBValue])
    case object([String: OVSDBValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: OVSDBValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, OVSDBValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .real(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([OVSDBValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: OVSDBValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .real(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> OVSDBValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [OVSDBValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: OVSDBValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// One complete JSON text.
    public static func parse(_ bytes: some Collection<UInt8>) throws -> OVSDBValue {
        try JSONDecoder().decode(OVSDBValue.self, from: Data(bytes))
    }

    public func serialized() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("null".utf8))
    }
}

// MARK: - The database's atom and datum forms (RFC 7047 section 5.1)

extension OVSDBValue {
    /// `["uuid", "<uuid>"]`: a row's UUID.
    public static func uuid(_ id: String) -> OVSDBValue { ["uuid", .string(id)] }

    /// `["named-uuid", "<name>"]`: a row inserted earlier in the same transaction.
    public static func namedUUID(_ name: String) -> OVSDBValue { ["named-uuid", .string(name)] }

    /// `["set", [...]]`.
    public static func set(_ elements: [OVSDBValue]) -> OVSDBValue { ["set", .array(elements)] }

    /// `["map", [[key, value], ...]]`, keys in order.
    public static func map(_ pairs: [String: String]) -> OVSDBValue {
        ["map", .array(pairs.sorted { $0.key < $1.key }.map { [.string($0.key), .string($0.value)] })]
    }

    /// The UUID of a `["uuid", ...]` atom.
    public var uuidValue: String? {
        guard let pair = arrayValue, pair.count == 2, pair[0] == "uuid" else { return nil }
        return pair[1].stringValue
    }

    /// The elements of a set datum: a lone atom is a set of one, `["set", [...]]` the listed ones.
    public var setElements: [OVSDBValue] {
        if let pair = arrayValue, pair.count == 2, pair[0] == "set" { return pair[1].arrayValue ?? [] }
        return [self]
    }

    /// The pairs of a `["map", [[k, v], ...]]` datum whose keys and values are strings.
    public var stringMap: [String: String] {
        guard let pair = arrayValue, pair.count == 2, pair[0] == "map", let entries = pair[1].arrayValue else {
            return [:]
        }
        var map: [String: String] = [:]
        for entry in entries {
            if let kv = entry.arrayValue, kv.count == 2, let key = kv[0].stringValue, let value = kv[1].stringValue {
                map[key] = value
            }
        }
        return map
    }
}
