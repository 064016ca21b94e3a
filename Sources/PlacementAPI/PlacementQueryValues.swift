import APISupport
import NovaCore
import PlacementCore

/// The values of Placement's filtering parameters (`resources`, `required`, `member_of`, `in_tree`), read and
/// refused as Placement reads them (placement/util.py), for resource provider lists and allocation candidates.
enum PlacementQueryValues {
    static let resourcesForm =
        "Badly formed resources parameter. Expected resources query string parameter in form: "
        + "?resources=VCPU:2,MEMORY_MB:1024."

    /// `VCPU:2,MEMORY_MB:1024`: a class named twice keeps its last amount; classes must be known.
    static func resources(_ text: String, _ state: PlacementState) throws -> [String: Int] {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw NovaError(.badValue, "\(resourcesForm) Got: empty string.")
        }
        var resources: [String: Int] = [:]
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw NovaError(.badValue, "\(resourcesForm) Got: \(item).") }
            let name = String(parts[0])
            // checked: text to Int never traps; amounts are summed with saturating arithmetic
            guard let amount = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
                throw NovaError(
                    .badValue, "Requested resource \(name) expected positive integer amount. Got: \(parts[1]).")
            }
            guard amount >= 1 else {
                throw NovaError(.badValue, "Requested resource \(name) requires amount >= 1. Got: \(amount).")
            }
            guard state.isKnownClass(name) else {
                throw NovaError.badRequest(
                    "Invalid resource class in resources parameter: No such resource class \(name).")
            }
            resources[name] = amount
        }
        return resources
    }

    /// Every `required` value of one key: forbidden traits (`!T`) from 1.22, `in:` and repeated keys from
    /// 1.39 (before that the last value counts); every trait named must exist.
    static func traits(_ values: [String], version: APIVersion, state: PlacementState, lookUp: Bool = true) throws
        -> TraitRule
    {
        let allowForbidden = version >= APIVersion(1, 22)
        let allowAny = version >= APIVersion(1, 39)
        var rule = TraitRule()
        for value in allowAny ? values : Array(values.suffix(1)) {
            let invalid = "Invalid query string parameters:"
            if value.hasPrefix("in:") {
                guard allowAny else {
                    throw NovaError.badRequest(
                        "\(invalid) The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion "
                            + "1.39. Got: \(value)")
                }
                let names = value.dropFirst(3).split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                guard !names.contains("") else {
                    throw NovaError.badRequest(
                        "\(invalid) Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. "
                            + "Got an empty trait in: \(value)")
                }
                guard !names.contains(where: { $0.hasPrefix("!") }) else {
                    throw NovaError.badRequest(
                        "\(invalid) The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits. "
                            + "Got: \(value)")
                }
                rule.anyOf.append(Set(names))
                continue
            }
            let names = value.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let form = allowForbidden ? "HW_CPU_X86_VMX,!CUSTOM_MAGIC" : "HW_CPU_X86_VMX,CUSTOM_MAGIC"
            guard !names.contains(where: { $0.isEmpty || $0 == "!" }) else {
                throw NovaError.badRequest(
                    "\(invalid) Expected 'required' parameter value of the form: \(form). Got an empty trait in: \(value)"
                )
            }
            let forbidden = names.filter { $0.hasPrefix("!") }.map { String($0.drop { $0 == "!" }) }
            guard forbidden.isEmpty || allowForbidden else {
                throw NovaError.badRequest(
                    "\(invalid) Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. "
                        + "Got: \(value)")
            }
            rule.required.formUnion(names.filter { !$0.hasPrefix("!") })
            rule.forbidden.formUnion(forbidden)
        }
        let unknown = rule.allNames.filter { lookUp && !state.isKnownTrait($0) }.sorted()
        guard unknown.isEmpty else {
            throw NovaError.badRequest("No such trait(s): \(unknown.joined(separator: ", ")).")
        }
        return rule
    }

    /// Every `member_of` value of one key: one key from 1.24 on, `!` from 1.32; each an aggregate UUID, or
    /// `in:`/`!in:` and several.
    static func memberOf(_ values: [String], suffix: String, version: APIVersion) throws -> AggregateRule {
        if values.count > 1, version < APIVersion(1, 24) {
            throw NovaError.badRequest("Multiple member_of\(suffix) parameters are not supported")
        }
        var rule = AggregateRule()
        for value in values {
            if value.contains(","), !value.hasPrefix("in:"), !value.hasPrefix("!in:") {
                throw NovaError.badRequest(
                    "Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' keyword using the "
                        + "valid microversion. Got: \(value)")
            }
            let negated = value.hasPrefix("!")
            var text = Substring(value)
            if negated { text = text.dropFirst() }
            if text.hasPrefix("in:") { text = text.dropFirst(3) }
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for name in names where (try? PlacementAPI.normalisedUUID(name)) == nil {
                throw NovaError.badRequest(
                    "Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). "
                        + "Got: \(name)")
            }
            let uuids = Set(names.compactMap { try? PlacementAPI.normalisedUUID($0) })
            if negated {
                guard version >= APIVersion(1, 32) else {
                    throw NovaError.badRequest(
                        "Forbidden member_of\(suffix) parameters are not supported in the specified microversion")
                }
                rule.forbidden.formUnion(uuids)
            } else {
                rule.anyOf.append(uuids)
            }
        }
        return rule
    }

    static func inTree(_ value: String) throws -> String {
        guard let uuid = try? PlacementAPI.normalisedUUID(value.trimmingCharacters(in: .whitespaces)) else {
            throw NovaError.badRequest(
                "Invalid query string parameters: Expected 'in_tree' parameter to be a format of uuid. Got: \(value)")
        }
        return uuid
    }
}
