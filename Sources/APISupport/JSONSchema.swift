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

    /// This schema without a property (and no longer requiring it).
    public func removing(_ name: String) -> JSONSchema {
        var copy = self
        copy.properties.removeAll { $0.0 == name }
        copy.required.removeAll { $0 == name }
        return copy
    }

    /// This schema with `names` no longer required.
    public func optional(_ names: String...) -> JSONSchema {
        var copy = self
        copy.required.removeAll { names.contains($0) }
        return copy
    }
}

/// A `pattern` compiled once; matched as Python's `re.search` does (anywhere unless anchored).
public final class SchemaPattern: @unchecked Sendable {
    public let source: String
    let expression: NSRegularExpression?

    public init(_ source: String) {
        self.source = source
        self.expression = try? NSRegularExpression(pattern: source)
    }

    public func matches(_ text: String) -> Bool {
        guard let expression else { return false }
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
