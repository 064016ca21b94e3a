import APISupport
import Foundation
import NovaCore

/// The parameters of one Query-protocol request (`Action`, `Version`, `InstanceId.1`, `Filter.1.Name`...).
public struct EC2Parameters: Sendable {
    public private(set) var values: [String: String] = [:]

    public init(_ pairs: [(String, String)]) {
        for (key, value) in pairs { values[key] = value }
    }

    public subscript(name: String) -> String? { values[name] }

    func required(_ name: String) throws(EC2Error) -> String {
        guard let value = values[name], !value.isEmpty else { throw .missing(name) }
        return value
    }

    /// `Name.1`, `Name.2`, ... in order (EC2's lists are numbered from 1).
    func list(_ name: String) -> [String] {
        numbered(name).map { values["\(name).\($0)"] ?? "" }
    }

    /// The numbers `N` present as `prefix.N` or `prefix.N.anything`, ascending.
    func numbered(_ prefix: String) -> [Int] {
        var numbers = Set<Int>()
        let start = prefix + "."
        for key in values.keys where key.hasPrefix(start) {
            let rest = key.dropFirst(start.count)
            // checked: Int(_:) of a decimal string returns nil past Int's range
            if let number = Int(rest.prefix { $0 != "." }), number >= 1 { numbers.insert(number) }
        }
        return numbers.sorted()
    }

    /// `Filter.N.Name` with its `Filter.N.Value.M`.
    func filters() throws(EC2Error) -> [(name: String, values: [String])] {
        try numbered("Filter").map { number throws(EC2Error) in
            let name = try required("Filter.\(number).Name")
            return (name, list("Filter.\(number).Value"))
        }
    }

    /// `Name.N.Key` / `Name.N.Value` pairs (tags).
    func tags(_ prefix: String) -> [(key: String, value: String)] {
        numbered(prefix).compactMap { number in
            values["\(prefix).\(number).Key"].map { ($0, values["\(prefix).\(number).Value"] ?? "") }
        }
    }

    /// An integer within `range`, or `fallback` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws(EC2Error) -> Int? {
        guard let text = values[name] else { return fallback }
        // checked: Int(_:) returns nil past Int's range
        guard let value = Int(text), range.contains(value) else {
            throw .invalid(name, text, "It must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }

    func flag(_ name: String) throws(EC2Error) -> Bool {
        guard let text = values[name] else { return false }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalid(name, text, "It must be true or false.")
        }
    }
}
