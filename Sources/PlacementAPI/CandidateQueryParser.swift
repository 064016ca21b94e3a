import APISupport
import NovaCore
import PlacementCore

/// Turns GET /allocation_candidates parameters into a query, with Placement's 400s and microversion gates.
enum CandidateQueryParser {
    static let groupKeys = ["resources", "required", "member_of", "in_tree"]

    static func parse(_ query: QueryParameters, version: APIVersion, state: PlacementState) throws -> CandidateQuery {
        func atLeast(_ minor: Int) -> Bool { version >= APIVersion(1, minor) }
        var groups: [String: RequestGroup] = [:]
        var result = CandidateQuery(groups: [])
        var seen: Set<String> = []
        for (key, value) in query.pairs {
            if let base = groupKeys.first(where: { key.hasPrefix($0) }) {
                let suffix = String(key.dropFirst(base.count))
                try checkSuffix(suffix, key: key, version: version)
                var group = groups[suffix] ?? RequestGroup(suffix: suffix)
                switch base {
                case "resources":
                    guard seen.insert(key).inserted else {
                        throw NovaError(.duplicateKey, "Query parameter \(key) may only be given once.")
                    }
                    group.resources = try parseResources(value, state)
                case "required":
                    guard atLeast(17) else { throw unexpected(key) }
                    try checkTraits(value, version: version, state: state)
                    group.traits.add(value)
                case "member_of":
                    guard atLeast(21) else { throw unexpected(key) }
                    if value.hasPrefix("!"), !atLeast(32) {
                        throw NovaError.badRequest(
                            "Forbidden member_of parameters are not supported in the specified microversion")
                    }
                    group.memberOf.add(value)
                default:
                    guard atLeast(31) else { throw unexpected(key) }
                    guard let provider = state.providers[value] else {
                        throw NovaError.badRequest("Invalid uuid value: \(value)")
                    }
                    group.inTree = provider.uuid
                }
                groups[suffix] = group
                continue
            }
            switch key {
            case "limit" where atLeast(16):
                // checked: text to Int never traps; range checked here
                guard let limit = Int(value), limit >= 1 else {
                    throw NovaError(.badValue, "Invalid query string parameters: limit must be a positive integer")
                }
                result.limit = limit
            case "group_policy" where atLeast(25):
                guard let policy = CandidateQuery.GroupPolicy(rawValue: value) else {
                    throw NovaError(.badValue, "Invalid query string parameters: group_policy must be none or isolate")
                }
                result.groupPolicy = policy
            case "root_required" where atLeast(35):
                try checkTraits(value, version: version, state: state)
                result.rootRequired.add(value)
            case "same_subtree" where atLeast(36):
                result.sameSubtree.append(value.split(separator: ",").map(String.init))
            default:
                throw unexpected(key)
            }
        }
        guard groups.values.contains(where: { !$0.resources.isEmpty }) else {
            throw NovaError(.missingValue, "There must be at least one resources or resources[$S] parameter.")
        }
        for group in groups.values where group.resources.isEmpty && !group.isUnsuffixed && !atLeast(36) {
            throw NovaError.badRequest("All request groups must specify resources.")
        }
        let numbered = groups.keys.filter { !$0.isEmpty }
        if numbered.count > 1, !query.contains("group_policy") {
            throw NovaError(
                .missingValue,
                "The \"group_policy\" parameter is required when specifying more than one \"resources{N}\" parameter.")
        }
        for names in result.sameSubtree {
            for name in names where groups[name] == nil {
                throw NovaError.badRequest("Real suffixes should be specified in same_subtree: \(name)")
            }
        }
        result.groups = groups.keys.sorted().compactMap { groups[$0] }
        return result
    }

    static func unexpected(_ key: String) -> NovaError {
        .badRequest("Invalid query string parameters: Additional properties are not allowed ('\(key)' was unexpected)")
    }

    static func checkSuffix(_ suffix: String, key: String, version: APIVersion) throws {
        guard !suffix.isEmpty else { return }
        guard version >= APIVersion(1, 25) else { throw unexpected(key) }
        let allowed =
            version >= APIVersion(1, 33)
            ? suffix.count <= 64
                && suffix.unicodeScalars.allSatisfy {
                    ($0.properties.isASCIIHexDigit || ("A"..."Z").contains($0) || ("a"..."z").contains($0)
                        || $0 == "_" || $0 == "-")
                }
            : suffix.allSatisfy(\.isNumber)
        guard allowed else { throw unexpected(key) }
    }

    /// `VCPU:1,MEMORY_MB:512`: known classes, positive amounts, each class once.
    static func parseResources(_ text: String, _ state: PlacementState) throws -> [String: Int] {
        var resources: [String: Int] = [:]
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            // checked: text to Int never traps; amounts are summed with saturating arithmetic
            guard parts.count == 2, let amount = Int(parts[1]) else {
                throw NovaError(
                    .badValue,
                    "Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: \(text)."
                )
            }
            let name = String(parts[0])
            guard state.isKnownClass(name) else {
                throw NovaError.badRequest(
                    "Invalid resource class in resources parameter: No such resource class \(name).")
            }
            guard amount >= 1 else {
                throw NovaError(
                    .badValue, "Requested resource \(name) expected positive integer amount. Got: \(amount).")
            }
            guard resources[name] == nil else {
                throw NovaError.badRequest(
                    "Badly formed resources parameter. Resource class \(name) appears more than once.")
            }
            resources[name] = amount
        }
        return resources
    }

    static func checkTraits(_ value: String, version: APIVersion, state: PlacementState) throws {
        if value.hasPrefix("in:"), version < APIVersion(1, 39) {
            throw NovaError.badRequest(
                "The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: \(value)")
        }
        var rule = TraitRule()
        rule.add(value)
        if !rule.forbidden.isEmpty, version < APIVersion(1, 22) {
            throw NovaError.badRequest(
                "Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: \(value)"
            )
        }
        let unknown = rule.allNames.filter { !state.isKnownTrait($0) }.sorted()
        guard unknown.isEmpty else {
            throw NovaError.badRequest("No such trait(s): \(unknown.joined(separator: ", ")).")
        }
    }
}
