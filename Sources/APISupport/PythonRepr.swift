import NovaCore

/// Values written as Python's `repr` writes them, which is how jsonschema's messages name them
/// (`'abc'`, `None`, `True`, `[1, 2]`, `{'a': 1}`).
enum PythonRepr {
    static func of(_ value: JSON) -> String {
        switch value {
        case .null: "None"
        case .bool(let flag): flag ? "True" : "False"
        case .int(let number): String(number)
        case .double(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let elements): "[" + elements.map(of).joined(separator: ", ") + "]"
        case .object(let object):
            "{" + object.entries.map { "\(string($0.0)): \(of($0.1))" }.joined(separator: ", ") + "}"
        }
    }

    /// An integral bound as Python writes an int, any other as a float.
    static func number(_ number: Double) -> String {
        if abs(number) < 1e15, let whole = Int(exactly: number) { return String(whole) }
        return number.isFinite ? "\(number)" : (number > 0 ? "inf" : "-inf")
    }

    /// Single quotes unless the text holds one and no double quote; control characters escaped.
    static func string(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var written = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": written += "\\\\"
            case "\n": written += "\\n"
            case "\r": written += "\\r"
            case "\t": written += "\\t"
            default:
                if Character(scalar) == quote {
                    written += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7f {
                    written += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    written.unicodeScalars.append(scalar)
                }
            }
        }
        return written + String(quote)
    }
}

extension JSON {
    /// An integer or a float, as a number to compare with a schema's bounds.
    var numberValue: Double? {
        switch self {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }
}

extension JSONSchema {
    /// The schema as a JSON document (for the messages that quote it).
    var jsonValue: JSON {
        var object = JSONObject()
        if types.count == 1 { object.append("type", .string(types[0])) }
        if types.count > 1 { object.append("type", .array(types.map(JSON.string))) }
        if !properties.isEmpty {
            object.append("properties", .object(JSONObject(properties.map { ($0.0, $0.1.jsonValue) })))
        }
        if !patternProperties.isEmpty {
            object.append(
                "patternProperties",
                .object(JSONObject(patternProperties.map { ($0.0.source, $0.1.jsonValue) })))
        }
        if !required.isEmpty { object.append("required", .array(required.map(JSON.string))) }
        if types == ["object"], !additionalProperties { object.append("additionalProperties", .bool(false)) }
        for (name, bound) in [("minimum", minimum), ("maximum", maximum)] {
            if let bound {
                object.append(
                    name, abs(bound) < 1e15 ? Int(exactly: bound).map(JSON.int) ?? .double(bound) : .double(bound))
            }
        }
        for (name, count) in [
            ("minLength", minLength), ("maxLength", maxLength), ("minItems", minItems),
            ("minProperties", minProperties),
        ] {
            if let count { object.append(name, .int(count)) }
        }
        if let pattern { object.append("pattern", .string(pattern.source)) }
        if let format { object.append("format", .string(format == Self.uuidLike ? "uuid" : format)) }
        if let enumValues { object.append("enum", .array(enumValues)) }
        if let item = items.first { object.append("items", item.jsonValue) }
        if uniqueItems { object.append("uniqueItems", .bool(true)) }
        if !anyOf.isEmpty { object.append("anyOf", .array(anyOf.map(\.jsonValue))) }
        return .object(object)
    }
}
