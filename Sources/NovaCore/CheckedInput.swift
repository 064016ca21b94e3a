/// The one place where numbers from requests become Swift integers.
///
/// The rule for the whole product: a number that comes from a request (a body, a query string, a header, a
/// path) becomes an `Int` only through these functions, which answer 400 naming the field when the value is
/// not a whole number in range; and request numbers are added or multiplied only with the saturating
/// operations below. Swift stops the process on an out-of-range `Int(someDouble)` and on an overflowing `+`,
/// `-` or `*`, and one process holds every service of the all-in-one cloud: a single trap reachable from a
/// request takes the whole cloud down. `InputRuleTests` scans the API modules for conversions that bypass
/// this file, and the fuzz test (`Tests/Fuzz`) sends extreme numbers to every endpoint.
public enum CheckedInput {
    /// The largest integer the database columns of Nova, Glance and Placement hold (Nova's `db.MAX_INT`).
    public static let maxDatabaseInteger = 2_147_483_647

    /// The range of most counted things in a request: 0 ... `maxDatabaseInteger`.
    public static let databaseRange = 0...maxDatabaseInteger

    /// An integer field of a body, or nil when absent (or JSON null, with `nullIsAbsent`).
    /// - Parameter allowString: Nova's schemas that take `['integer', 'string']` accept digits in a string.
    public static func integer(
        _ value: JSON?, field: String, in range: ClosedRange<Int>, allowString: Bool = false,
        nullIsAbsent: Bool = false
    ) throws(NovaError) -> Int? {
        guard let value else { return nil }
        if nullIsAbsent, value.isNull { return nil }
        switch value {
        case .int(let number):
            return try checked(number, raw: value.serialized(), field: field, in: range)
        case .double(let number):
            guard number.isFinite, number == number.rounded() else { break }
            guard let whole = Int(exactly: number) else {
                throw outOfRange(raw: value.serialized(), field: field, range: range, tooLarge: number > 0)
            }
            return try checked(whole, raw: value.serialized(), field: field, in: range)
        case .string(let text) where allowString:
            return try integer(text, field: field, in: range)
        default:
            break
        }
        throw .badRequest(
            "Invalid input for field/attribute \(field). Value: \(value.serialized()). "
                + "\(value.serialized()) is not of type 'integer'")
    }

    /// A required integer field of a body.
    public static func requiredInteger(
        _ value: JSON?, field: String, in range: ClosedRange<Int>, allowString: Bool = false
    ) throws(NovaError) -> Int {
        guard let number = try integer(value, field: field, in: range, allowString: allowString) else {
            throw .badRequest("Invalid input for field/attribute \(field). '\(field)' is a required property")
        }
        return number
    }

    /// An integer given as text (a query string, a header, a path segment, a string in a body): optional sign
    /// and decimal digits only, in range; nil when absent.
    public static func integer(_ text: String?, field: String, in range: ClosedRange<Int>) throws(NovaError) -> Int? {
        guard let text else { return nil }
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .badRequest(
                "Invalid input for field/attribute \(field). Value: \(text.prefix(64)). '\(text.prefix(64))' is not a valid integer"
            )
        }
        guard let number = Int(text) else {
            throw outOfRange(raw: String(text.prefix(64)), field: field, range: range, tooLarge: !text.hasPrefix("-"))
        }
        return try checked(number, raw: text, field: field, in: range)
    }

    /// A number (integer or not) of a body within `range`, finite; nil when absent.
    public static func number(_ value: JSON?, field: String, in range: ClosedRange<Double>) throws(NovaError)
        -> Double?
    {
        guard let value else { return nil }
        let number: Double
        switch value {
        case .int(let whole): number = Double(whole)
        case .double(let real): number = real
        default:
            throw .badRequest(
                "Invalid input for field/attribute \(field). Value: \(value.serialized()). "
                    + "\(value.serialized()) is not of type 'number'")
        }
        guard number.isFinite, range.contains(number) else {
            throw outOfRange(
                raw: value.serialized(), field: field, lower: "\(range.lowerBound)", upper: "\(range.upperBound)",
                tooLarge: number > range.upperBound)
        }
        return number
    }

    static func checked(_ number: Int, raw: String, field: String, in range: ClosedRange<Int>) throws(NovaError)
        -> Int
    {
        guard range.contains(number) else {
            throw outOfRange(raw: raw, field: field, range: range, tooLarge: number > range.upperBound)
        }
        return number
    }

    static func outOfRange(raw: String, field: String, range: ClosedRange<Int>, tooLarge: Bool) -> NovaError {
        outOfRange(
            raw: raw, field: field, lower: "\(range.lowerBound)", upper: "\(range.upperBound)", tooLarge: tooLarge)
    }

    static func outOfRange(raw: String, field: String, lower: String, upper: String, tooLarge: Bool) -> NovaError {
        let shown = String(raw.prefix(64))
        return .badRequest(
            "Invalid input for field/attribute \(field). Value: \(shown). "
                + (tooLarge
                    ? "\(shown) is greater than the maximum of \(upper)"
                    : "\(shown) is less than the minimum of \(lower)"))
    }

    /// Nova's `parameter_types.boolean`: true/false, or their usual spellings in a string ("True", "0",
    /// "off"...); nil when absent or null.
    public static func boolean(_ value: JSON?, field: String) throws(NovaError) -> Bool? {
        guard let value, !value.isNull else { return nil }
        if let flag = value.boolValue { return flag }
        guard let flag = value.stringValue.flatMap(booleanWord) else {
            throw .badRequest(
                "Invalid input for field/attribute \(field). Value: \(value.serialized().prefix(64)). "
                    + "\(value.serialized().prefix(64)) is not of type 'boolean', 'string'")
        }
        return flag
    }

    /// A schema's `additionalProperties: false`: a key of `object` outside `allowed` is 400, worded as Nova's
    /// validator words it for the body itself (`field` nil) or for one of its fields.
    public static func onlyFields(_ allowed: Set<String>, of object: JSON, field: String? = nil) throws(NovaError) {
        guard let unknown = object.objectValue?.entries.map(\.0).first(where: { !allowed.contains($0) }) else {
            return
        }
        let message = "Additional properties are not allowed ('\(unknown.prefix(64))' was unexpected)"
        throw .badRequest(field.map { "Invalid input for field/attribute \($0). \(message)" } ?? message)
    }

    /// oslo's strict `bool_from_string`: the usual spellings of true and false in any case, else nil.
    public static func booleanWord(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "t", "true", "on", "y", "yes": true
        case "0", "f", "false", "off", "n", "no": false
        default: nil
        }
    }

    /// A text field of a body: a string of `length` characters without control characters (NUL among them),
    /// or nil when absent.

    public static func text(_ value: JSON?, field: String, length: ClosedRange<Int>) throws(NovaError) -> String? {
        guard let value else { return nil }
        guard let text = value.stringValue else {
            throw .badRequest(
                "Invalid input for field/attribute \(field). Value: \(value.serialized().prefix(64)). "
                    + "\(value.serialized().prefix(64)) is not of type 'string'")
        }
        guard length.contains(text.count) else {
            throw .badRequest(
                "Invalid input for field/attribute \(field). Value: \(text.prefix(64)). "
                    + (text.count < length.lowerBound
                        ? "'\(text.prefix(64))' is too short" : "'\(text.prefix(64))' is too long"))
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .badRequest(
                "Invalid input for field/attribute \(field). Value: \(text.debugDescription.prefix(64)). "
                    + "It must not contain control characters")
        }
        return text
    }
}

extension Int {
    /// `self + other`, held at `Int.max`/`Int.min` instead of trapping (request arithmetic: quotas, sizes).
    @inlinable
    public func saturatingAdd(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self * other`, held at `Int.max`/`Int.min` instead of trapping.
    @inlinable
    public func saturatingMultiply(_ other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) != (other < 0) ? .min : .max) : product
    }

    /// A `Double` made whole toward zero and held within `Int`'s range (NaN is 0) instead of trapping.
    @inlinable
    public init(saturating value: Double) {
        // The common case first: one range test (NaN fails it too).
        if value < 9.223_372_036_854_775_807e18, value > -9.223_372_036_854_775_808e18 {
            self = Int(value)
        } else {
            self = value.isNaN ? 0 : value > 0 ? .max : .min
        }
    }
}
