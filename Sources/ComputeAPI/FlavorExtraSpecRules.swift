import NovaCore
import PlacementCore

/// The extra specs Nova knows (nova/api/validation/extra_specs, checked from 2.86): a key in one of their
/// namespaces must be a known one with a valid value; keys outside those namespaces (or without one) pass
/// unchecked, as any operator's own scheduler filter may read them.
enum FlavorExtraSpecRules {
    enum Value: Sendable {
        case text(pattern: String?)
        case choice([String])
        case integer(min: Int?, max: Int?)
        case boolean
    }

    /// Raises Nova's `ValidationError` wording for an invalid spec; a valid or unchecked one returns.
    static func validate(_ name: String, _ value: String) throws(NovaError) {
        if let rule = exact[name] ?? parameterized(name) {
            try check(value, against: rule)
            return
        }
        guard let colon = name.firstIndex(of: ":") else { return }
        let namespace = name[..<colon]
        guard namespaces.contains(String(namespace)) || groupedNamespace(namespace) != nil else { return }
        throw .badRequest("Validation failed; extra spec '\(name)' does not appear to be a valid extra spec.")
    }

    static func check(_ value: String, against rule: Value) throws(NovaError) {
        switch rule {
        case .text(let pattern):
            guard let pattern else { return }
            guard let regex = try? Regex(unambiguous[pattern] ?? pattern), (try? regex.wholeMatch(in: value)) != nil
            else {
                throw .badRequest("Validation failed; '\(value)' is not of the format '\(pattern)'.")
            }
        case .choice(let values):
            guard values.contains(value) else {
                throw .badRequest(
                    "Validation failed; '\(value)' is not one of: \(values.joined(separator: ", ")).")
            }
        case .integer(let min, let max):
            try checkInteger(value, min: min, max: max)
        case .boolean:
            guard CheckedInput.booleanWord(value) != nil else {
                throw .badRequest("Validation failed; '\(value)' is not a valid boolean-like value.")
            }
        }
    }

    /// Python's `int()` of the text: optional sign, digits (underscores between them), surrounding spaces. A
    /// number beyond `Int` is still a number: past any maximum when positive, below any minimum when negative.
    static func checkInteger(_ value: String, min: Int?, max: Int?) throws(NovaError) {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let unsigned = trimmed.first == "+" || trimmed.first == "-" ? trimmed.dropFirst() : Substring(trimmed)
        let digits = unsigned.replacingOccurrences(of: "_", with: "")
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), unsigned.first != "_", unsigned.last != "_",
            !unsigned.contains("__")
        else {
            throw .badRequest("Validation failed; '\(value)' is not a valid integer value.")
        }
        let negative = trimmed.first == "-"
        // checked: nil past Int's range, then compared as beyond any bound; the digits are never negative
        let number = Int(digits).map { negative ? -$0 : $0 }
        if let max, number.map({ $0 > max }) ?? !negative {
            throw .badRequest("Validation failed; '\(value)' is greater than the max value of '\(max)'.")
        }
        if let min, number.map({ $0 < min }) ?? negative {
            throw .badRequest("Validation failed; '\(value)' is less than the min value of '\(min)'.")
        }
    }

    /// The rule of a key with a parameter in its name (NUMA node numbers, request groups, resource classes,
    /// traits, host capability paths, aggregate keys).
    static func parameterized(_ name: String) -> Value? {
        guard let colon = name.firstIndex(of: ":") else { return nil }
        let namespace = name[..<colon]
        let key = String(name[name.index(after: colon)...])
        switch namespace {
        case "aggregate_instance_extra_specs":
            return key.isEmpty ? nil : .text(pattern: nil)
        case "capabilities":
            let path = key.split(separator: ":", omittingEmptySubsequences: false)
            guard let head = path.first, capabilityTrees.contains(String(head)),
                path.dropFirst().allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isWordCharacter } })
            else { return nil }
            return .text(pattern: nil)
        case "hw":
            if let node = key.trimmingPrefix("numa_cpus."), isNodeNumber(node) { return .text(pattern: cpuSet) }
            if let node = key.trimmingPrefix("numa_mem."), isNodeNumber(node) { return .integer(min: 1, max: nil) }
            return nil
        default:
            switch groupedNamespace(namespace) {
            case "resources":
                let known = ResourceClasses.standardSet.contains(key) || isCustom(key)
                return known ? .integer(min: nil, max: nil) : nil
            case "trait":
                let known = StandardTraits.allSet.contains(key) || isCustom(key)
                return known ? .choice(["required", "forbidden"]) : nil
            default:
                return nil
            }
        }
    }

    /// `resources` or `trait` when the namespace is one of them with an optional request group suffix
    /// (`resources1`, `trait_accel`: up to 64 letters, digits, `_` or `-`).
    static func groupedNamespace(_ namespace: Substring) -> String? {
        for base in ["resources", "trait"] where namespace.hasPrefix(base) {
            let group = namespace.dropFirst(base.count)
            if group.count <= 64, group.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "_" || $0 == "-" }) {
                return base
            }
        }
        return nil
    }

    static func isCustom(_ name: String) -> Bool {
        name.hasPrefix("CUSTOM_") && name.count > 7
            && name.dropFirst(7).allSatisfy { ($0.isASCIIUppercase) || $0.isASCIIDigit || $0 == "_" }
    }

    static func isNodeNumber(_ text: Substring) -> Bool { !text.isEmpty && text.allSatisfy(\.isASCIIDigit) }

    /// Nova's patterns that backtrack exponentially on a near miss, each with an equivalent that does not; the
    /// error still shows Nova's.
    static let unambiguous: [String: String] = [
        #"([a-zA-Z0-9_]+(,)?)+"#: #"[a-zA-Z0-9_]+(,[a-zA-Z0-9_]+)*,?"#
    ]

    static let cpuSet = #"\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*"#

    static let namespaces: Set<String> = [
        "accel", "aggregate_instance_extra_specs", "capabilities", "hw", "hw_rng", "hw_video", "os",
        "pci_passthrough", "quota", "vmware",
    ]

    static let capabilityTrees: Set<String> = [
        "cpu_info", "metrics", "stats", "numa_topology", "supported_hv_specs", "pci_device_pools", "nodename",
        "pci_stats", "supported_instances", "limits", "instances",
    ]
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
    fileprivate var isASCIIUppercase: Bool { isASCII && isUppercase }
    fileprivate var isASCIIAlphanumeric: Bool { isASCII && (isLetter || isNumber) }
    fileprivate var isWordCharacter: Bool { isLetter || isNumber || self == "_" }
}

extension Substring {
    fileprivate func trimmingPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}

extension String {
    fileprivate func trimmingPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}
