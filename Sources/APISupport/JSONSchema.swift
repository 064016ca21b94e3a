import Foundation
import NovaCore

/// A JSON Schema (the keywords OpenStack's request schemas use), checked the way Python's `jsonschema` checks
/// it, so that a refused body is explained in the words the OpenStack services answer with ("'total' is a
/// required property", "0 is less than the minimum of 1", "Failed validating 'maximum' in schema...").
public struct JSONSchema: Sendable {
    public var types: [String] = []
    public var properties: [(String, JSONSchema)] = []
    public var patternProperties: [(SchemaPattern, JSONSchema)] = []
    public var additionalProperties = true
    public var required: [String] = []
    public var minimum: Double?
    public var maximum: Double?
    public var minLength: Int?
    public var maxLength: Int?
    public var pattern: SchemaPattern?
    /// `uuid` (with its dashes, as jsonschema's format checker wants it) or `uuidLike`.
    public var format: String?
    /// The `uuid` format as oslo checks it (the OpenStack services' own checker): dashes optional.
    public static let uuidLike = "uuid-like"
    public var enumValues: [JSON]?
    public var items: [JSONSchema] = []
    public var minItems: Int?
    public var uniqueItems = false
    public var minProperties: Int?
    public var anyOf: [JSONSchema] = []

    public init() {}

    public static func object(
        _ properties: KeyValuePairs<String, JSONSchema> = [:], required: [String] = [],
        additionalProperties: Bool = false, patternProperties: [(String, JSONSchema)] = [], minProperties: Int? = nil
    ) -> JSONSchema {
        var schema = JSONSchema()
        schema.types = ["object"]
        schema.properties = properties.map { ($0.key, $0.value) }
        schema.required = required
        schema.additionalProperties = additionalProperties
        schema.patternProperties = patternProperties.map { (SchemaPattern($0.0), $0.1) }
        schema.minProperties = minProperties
        return schema
    }

    public static func integer(minimum: Int? = nil, maximum: Int? = nil) -> JSONSchema {
        var schema = JSONSchema()
        schema.types = ["integer"]
        schema.minimum = minimum.map(Double.init)
        schema.maximum = maximum.map(Double.init)
        return schema
    }

    public static func number(minimum: Double? = nil, maximum: Double? = nil) -> JSONSchema {
        var schema = JSONSchema()
        schema.types = ["number"]
        schema.minimum = minimum
        schema.maximum = maximum
        return schema
    }

    public static func string(
        minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil, format: String? = nil,
        enum values: [String]? = nil
    ) -> JSONSchema {
        var schema = JSONSchema()
        schema.types = ["string"]
        schema.minLength = minLength
        schema.maxLength = maxLength
        schema.pattern = pattern.map(SchemaPattern.init)
        schema.format = format
        schema.enumValues = values?.map(JSON.string)
        return schema
    }

    public static func array(_ items: JSONSchema? = nil, minItems: Int? = nil, uniqueItems: Bool = false) -> JSONSchema
    {
        var schema = JSONSchema()
        schema.types = ["array"]
        schema.items = items.map { [$0] } ?? []
        schema.minItems = minItems
        schema.uniqueItems = uniqueItems
        return schema
    }

    public static var null: JSONSchema {
        var schema = JSONSchema()
        schema.types = ["null"]
        return schema
    }

    public static var boolean: JSONSchema {
        var schema = JSONSchema()
        schema.types = ["boolean"]
        return schema
    }

    public static func anyOf(_ schemas: [JSONSchema]) -> JSONSchema {
        var schema = JSONSchema()
        schema.anyOf = schemas
        return schema
    }

    /// This schema with a property more (or replaced) and, when `required`, that property required too.
    public func adding(_ name: String, _ schema: JSONSchema, required: Bool = false) -> JSONSchema {
        var copy = self
        copy.properties.removeAll { $0.0 == name }
        copy.properties.append((name, schema))
        if required, !copy.required.contains(name) { copy.required.append(name) }
        return copy
    }

    /// This schema with `names` no longer required.
    public func optional(_ names: String...) -> JSONSchema {
        var copy = self
        copy.required.removeAll { names.contains($0) }
        return copy
    }
}

/// A `pattern` compiled once; matched as Python's `re.search` does (anywhere unless anchored). The anchored
/// one-class patterns of the request schemas (`^[A-Z0-9_]+$`, `^CUSTOM_[A-Z0-9_]+$`, `^[0-9a-fA-F-]{36}$`)
/// are matched without a regular expression engine: they are checked on every claim.
public final class SchemaPattern: @unchecked Sendable {
    public let source: String
    let expression: NSRegularExpression?
    let simple: SimplePattern?

    public init(_ source: String) {
        self.source = source
        self.simple = SimplePattern(source)
        self.expression = simple == nil ? try? NSRegularExpression(pattern: source) : nil
    }

    public func matches(_ text: String) -> Bool {
        if let simple { return simple.matches(text) }
        guard let expression else { return false }
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// `^prefix[class]+$`, `^prefix[class]*$`, `^prefix[class]{n}$` or `{m,n}`: a literal prefix of letters,
/// digits and `_`, then one character class of single ASCII characters and ranges.
struct SimplePattern: Sendable {
    let prefix: [UInt8]
    let allowed: Set<UInt8>
    let count: ClosedRange<Int>

    init?(_ source: String) {
        var bytes = Array(source.utf8)[...]
        guard bytes.first == UInt8(ascii: "^"), bytes.last == UInt8(ascii: "$") else { return nil }
        bytes = bytes.dropFirst().dropLast()
        let literal = bytes.prefix {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F
        }
        prefix = Array(literal)
        bytes = bytes.dropFirst(literal.count)
        guard bytes.first == UInt8(ascii: "["), let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
        let members = Array(bytes[bytes.index(after: bytes.startIndex)..<close])
        guard !members.isEmpty, members.first != UInt8(ascii: "^"), !members.contains(UInt8(ascii: "\\")) else {
            return nil
        }
        var allowed: Set<UInt8> = []
        var index = 0
        while index < members.count {
            if index + 2 < members.count, members[index + 1] == UInt8(ascii: "-") {
                guard members[index] <= members[index + 2] else { return nil }
                allowed.formUnion(members[index]...members[index + 2])
                index += 3
            } else {
                allowed.insert(members[index])
                index += 1
            }
        }
        self.allowed = allowed
        let quantifier = String(decoding: bytes[bytes.index(after: close)...], as: UTF8.self)
        switch quantifier {
        case "+": count = 1...Int.max
        case "*": count = 0...Int.max
        default:
            guard quantifier.hasPrefix("{"), quantifier.hasSuffix("}") else { return nil }
            let bounds = quantifier.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
            // checked: text to Int never traps; nil refuses the pattern (the engine takes it)
            guard let low = Int(bounds[0]), let high = bounds.count == 2 ? Int(bounds[1]) : low, bounds.count <= 2,
                low <= high
            else { return nil }
            count = low...high
        }
    }

    func matches(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= prefix.count, bytes.starts(with: prefix) else { return false }
        let rest = bytes[prefix.count...]
        return count.contains(rest.count) && rest.allSatisfy(allowed.contains)
    }
}
