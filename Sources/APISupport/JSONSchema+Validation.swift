import NovaCore

/// Why a value does not validate: jsonschema's message, and where (its `str()` adds the keyword and paths).
public struct SchemaViolation: Error, Sendable, Equatable {
    public var message: String
    public var keyword: String
    /// Where in the schema the failed keyword sits (`['properties', 'total']`) and in the instance (`['total']`).
    public var schemaPath: [String]
    public var instancePath: [String]
    var schemaText: String
    var instanceText: String
    var weak = false

    /// `str(ValidationError)`, as Placement and Nova put it after "JSON does not validate: ".
    public var description: String {
        let schemaWhere = "schema" + schemaPath.map { "[\(PythonRepr.string($0))]" }.joined()
        let instanceWhere = "instance" + instancePath.map { "[\($0)]" }.joined()
        return "\(message)\n\nFailed validating \(PythonRepr.string(keyword)) in \(schemaWhere):\n    \(schemaText)"
            + "\n\nOn \(instanceWhere):\n    \(instanceText)"
    }
}

extension JSONSchema {
    /// The violation jsonschema's `best_match` reports for `value`, nil when it validates: the one nearest the
    /// top of the value, a plain keyword before `anyOf`, the first in the schema's order.
    public func violation(of value: JSON) -> SchemaViolation? {
        var found: [SchemaViolation] = []
        collect(value, schemaPath: [], instancePath: [], into: &found)
        return found.enumerated().min { lhs, rhs in
            let left = (lhs.element.instancePath.count, lhs.element.weak ? 1 : 0, lhs.offset)
            let right = (rhs.element.instancePath.count, rhs.element.weak ? 1 : 0, rhs.offset)
            return left < right
        }?.element
    }

    public func validate(_ value: JSON) throws(SchemaViolation) {
        if let violation = violation(of: value) { throw violation }
    }

    func collect(_ value: JSON, schemaPath: [String], instancePath: [String], into found: inout [SchemaViolation]) {
        let place = Place(schema: self, value: value, schemaPath: schemaPath, instancePath: instancePath)
        func fail(_ keyword: String, _ message: String, weak: Bool = false) {
            found.append(place.violation(keyword, message, weak: weak))
        }
        let shown = PythonRepr.of(value)
        if !types.isEmpty, !types.contains(where: { Self.value(value, isOfType: $0) }) {
            fail("type", "\(shown) is not of type \(types.map(PythonRepr.string).joined(separator: ", "))")
        }
        if let enumValues, !enumValues.contains(value) {
            fail("enum", "\(shown) is not one of \(PythonRepr.of(.array(enumValues)))")
        }
        if let number = value.numberValue {
            if let minimum, number < minimum {
                fail("minimum", "\(shown) is less than the minimum of \(PythonRepr.number(minimum))")
            }
            if let maximum, number > maximum {
                fail("maximum", "\(shown) is greater than the maximum of \(PythonRepr.number(maximum))")
            }
        }
        if case .string(let text) = value {
            found += checkString(text, shown, place)
        }
        if case .object(let object) = value {
            checkObject(object, shown, place, into: &found)
        }
        if case .array(let elements) = value {
            if let minItems, elements.count < minItems {
                fail("minItems", "\(shown) \(minItems == 1 ? "should be non-empty" : "is too short")")
            }
            if let item = items.first {
                for (index, element) in elements.enumerated() {
                    item.collect(
                        element, schemaPath: schemaPath + ["items"], instancePath: instancePath + ["\(index)"],
                        into: &found)
                }
            }
            if uniqueItems, Set(elements.map(PythonRepr.of)).count != elements.count {
                fail("uniqueItems", "\(shown) has non-unique elements")
            }
        }
        if !anyOf.isEmpty {
            var branches: [[SchemaViolation]] = []
            for (index, branch) in anyOf.enumerated() {
                var inner: [SchemaViolation] = []
                branch.collect(
                    value, schemaPath: schemaPath + ["anyOf", "\(index)"], instancePath: instancePath, into: &inner)
                if inner.isEmpty { return }
                branches.append(inner)
            }
            // The branch written for this kind of value explains best why it failed.
            let typed = zip(anyOf, branches).first { branch, _ in
                branch.types.contains { Self.value(value, isOfType: $0) }
            }
            if let typed, let first = typed.1.first {
                found.append(first)
            } else {
                fail("anyOf", "\(shown) is not valid under any of the given schemas", weak: true)
            }
        }
    }

    func checkString(_ text: String, _ shown: String, _ place: Place) -> [SchemaViolation] {
        var found: [SchemaViolation] = []
        func fail(_ keyword: String, _ message: String, _ weak: Bool) {
            found.append(place.violation(keyword, message))
        }
        let length = text.unicodeScalars.count
        if let minLength, length < minLength {
            fail("minLength", "\(shown) \(minLength == 1 ? "should be non-empty" : "is too short")", false)
        }
        if let maxLength, length > maxLength {
            fail("maxLength", "\(shown) \(maxLength == 0 ? "is expected to be empty" : "is too long")", false)
        }
        if let pattern, !pattern.matches(text) {
            fail("pattern", "\(shown) does not match \(PythonRepr.string(pattern.source))", false)
        }
        if format == "uuid", !Self.isDashedUUID(text) {
            fail("format", "\(shown) is not a 'uuid'", false)
        }
        if format == JSONSchema.uuidLike, !Self.isUUIDLike(text) {
            fail("format", "\(shown) is not a 'uuid'", false)
        }
        return found
    }

    func checkObject(_ object: JSONObject, _ shown: String, _ place: Place, into found: inout [SchemaViolation]) {
        let (schemaPath, instancePath) = (place.schemaPath, place.instancePath)
        var own: [SchemaViolation] = []
        func fail(_ keyword: String, _ message: String, _ weak: Bool) { own.append(place.violation(keyword, message)) }
        defer { found += own }
        for (name, schema) in properties {
            if let member = object[name] {
                schema.collect(
                    member, schemaPath: schemaPath + ["properties", name],
                    instancePath: instancePath + [PythonRepr.string(name)], into: &found)
            }
        }
        var extras: [String] = []
        for (name, member) in object.entries where !properties.contains(where: { $0.0 == name }) {
            let matching = patternProperties.filter { $0.0.matches(name) }
            for (pattern, schema) in matching {
                schema.collect(
                    member, schemaPath: schemaPath + ["patternProperties", pattern.source],
                    instancePath: instancePath + [PythonRepr.string(name)], into: &found)
            }
            if matching.isEmpty { extras.append(name) }
        }
        for name in required where object[name] == nil {
            fail("required", "\(PythonRepr.string(name)) is a required property", false)
        }
        if !additionalProperties, !extras.isEmpty {
            let names = extras.sorted().map(PythonRepr.string).joined(separator: ", ")
            if patternProperties.isEmpty {
                fail(
                    "additionalProperties",
                    "Additional properties are not allowed (\(names) \(extras.count == 1 ? "was" : "were") unexpected)",
                    false)
            } else {
                let patterns = patternProperties.map(\.0.source).sorted().map(PythonRepr.string)
                fail(
                    "additionalProperties",
                    "\(names) \(extras.count == 1 ? "does" : "do") not match any of the regexes: "
                        + patterns.joined(separator: ", "), false)
            }
        }
        if let minProperties, object.entries.count < minProperties {
            fail(
                "minProperties",
                "\(shown) \(minProperties == 1 ? "should be non-empty" : "does not have enough properties")", false)
        }
    }

    /// Where a keyword is checked: what the violation it finds says of its place.
    struct Place {
        let schema: JSONSchema
        let value: JSON
        let schemaPath: [String]
        let instancePath: [String]

        func violation(_ keyword: String, _ message: String, weak: Bool = false) -> SchemaViolation {
            SchemaViolation(
                message: message, keyword: keyword, schemaPath: schemaPath, instancePath: instancePath,
                schemaText: PythonRepr.of(schema.jsonValue), instanceText: PythonRepr.of(value), weak: weak)
        }
    }

    static func value(_ value: JSON, isOfType type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("integer", .int), ("number", .int), ("number", .double):
            true
        case ("integer", .double(let number)): number.rounded() == number && number.isFinite
        default: false
        }
    }

    /// oslo's `is_uuid_like`: 32 hex digits, with or without dashes, braces or a `urn:uuid:` prefix.
    static func isUUIDLike(_ text: String) -> Bool {
        var body = Substring(text.lowercased())
        if body.hasPrefix("urn:uuid:") { body = body.dropFirst(9) }
        if body.hasPrefix("{"), body.hasSuffix("}") { body = body.dropFirst().dropLast() }
        let digits = body.filter { $0 != "-" }
        return digits.count == 32 && digits.allSatisfy(\.isHexDigit)
    }

    /// jsonschema's `uuid` format: 32 hex digits with the dashes where they go.
    static func isDashedUUID(_ text: String) -> Bool {
        let characters = Array(text.utf8)
        guard characters.count == 36 else { return false }
        for (index, character) in characters.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard character == UInt8(ascii: "-") else { return false }
            } else if !(Character(UnicodeScalar(character)).isHexDigit) {
                return false
            }
        }
        return true
    }
}
