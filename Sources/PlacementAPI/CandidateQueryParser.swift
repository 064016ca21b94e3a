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
        // Each key with all its values, in the order the keys first appear.
        var keys: [String] = []
        var suffixOrder: [String] = []
        var valuesByKey: [String: [String]] = [:]
        for (key, value) in query.pairs {
            if valuesByKey[key] == nil { keys.append(key) }
            valuesByKey[key, default: []].append(value)
        }
        for key in keys {
            let values = valuesByKey[key] ?? []
            let value = values.last ?? ""
            if let base = groupKeys.first(where: { key.hasPrefix($0) }) {
                let suffix = String(key.dropFirst(base.count))
                try checkSuffix(suffix, key: key, version: version)
                if groups[suffix] == nil { suffixOrder.append(suffix) }
                var group = groups[suffix] ?? RequestGroup(suffix: suffix)
                switch base {
                case "resources":
                    guard values.count == 1 else {
                        throw NovaError(.duplicateKey, "Query parameter \(key) may only be given once.")
                    }
                    group.resources = try PlacementQueryValues.resources(value, state)
                case "required":
                    guard atLeast(17) else { throw unexpected(key) }
                    group.traits = try PlacementQueryValues.traits(
                        values, version: version, state: state, lookUp: false)
                case "member_of":
                    guard atLeast(21) else { throw unexpected(key) }
                    group.memberOf = try PlacementQueryValues.memberOf(values, suffix: suffix, version: version)
                default:
                    guard atLeast(31) else { throw unexpected(key) }
                    group.inTree = try PlacementQueryValues.inTree(value)
                }
                groups[suffix] = group
                continue
            }
            switch key {
            // A repeated limit or group_policy counts with its first value, as in Placement.
            case "limit" where atLeast(16):
                // checked: text to Int never traps; range checked here
                guard let limit = Int(values[0]), limit >= 1 else {
                    throw NovaError(.badValue, "Invalid query string parameters: limit must be a positive integer")
                }
                result.limit = limit
            case "group_policy" where atLeast(25):
                guard let policy = CandidateQuery.GroupPolicy(rawValue: values[0]) else {
                    throw NovaError(.badValue, "Invalid query string parameters: group_policy must be none or isolate")
                }
                result.groupPolicy = policy
            case "root_required" where atLeast(35):
                guard values.count == 1 else {
                    throw NovaError(.duplicateKey, "Query parameter 'root_required' may be specified only once.")
                }
                guard !value.hasPrefix("in:") else {
                    throw NovaError.badRequest(
                        "Invalid query string parameters: Expected 'required' parameter value of the form: "
                            + "HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got: \(value)")
                }
                let rule = try PlacementQueryValues.traits(values, version: version, state: state)
                let conflicts = rule.required.intersection(rule.forbidden).sorted()
                guard conflicts.isEmpty else {
                    throw NovaError(
                        .badValue,
                        "Conflicting required and forbidden traits found in root_required: "
                            + conflicts.joined(separator: ", "))
                }
                result.rootRequired = rule
            case "same_subtree" where atLeast(36):
                for item in values {
                    let suffixes = item.split(separator: ",", omittingEmptySubsequences: false).map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }
                    guard !suffixes.contains("") else {
                        throw NovaError(
                            .badValue, "Empty string (unsuffixed group) can not be specified in `same_subtree` ")
                    }
                    result.sameSubtree.append(suffixes)
                }
            default:
                throw unexpected(key)
            }
        }
        try checkGroups(groups, order: suffixOrder, sameSubtree: result.sameSubtree, version: version)
        let numbered = groups.keys.filter { !$0.isEmpty }
        if numbered.count > 1, !query.contains("group_policy") {
            throw NovaError(
                .missingValue,
                "The \"group_policy\" parameter is required when specifying more than one \"resources{N}\" parameter.")
        }
        // Traits are looked up once the groups are known to be well formed, as Placement does.
        let named = groups.values.reduce(into: result.rootRequired.allNames) { $0.formUnion($1.traits.allNames) }
        let unknown = named.filter { !state.isKnownTrait($0) }.sorted()
        guard unknown.isEmpty else {
            throw NovaError.badRequest("No such trait(s): \(unknown.joined(separator: ", ")).")
        }
        result.groups = groups.keys.sorted().compactMap { groups[$0] }
        return result
    }

    /// Placement's checks of the request groups (placement/lib.py): from 1.36 a group without resources must
    /// be named in same_subtree; before, every group needs resources; conflicting traits from 1.22.
    static func checkGroups(
        _ groups: [String: RequestGroup], order: [String], sameSubtree: [[String]], version: APIVersion
    ) throws {
        let resourceless = order.filter { groups[$0]?.resources.isEmpty ?? true }
        if version >= APIVersion(1, 36) {
            guard resourceless.count < order.count else {
                throw NovaError(.missingValue, "There must be at least one resources or resources[$S] parameter.")
            }
            let named = sameSubtree.flatMap { $0 }
            let loose = resourceless.filter { !named.contains($0) }
            guard loose.isEmpty else {
                throw NovaError(
                    .badValue,
                    "Resourceless suffixed group request should be specified in `same_subtree` query param: bad "
                        + "group(s) - \(pythonList(loose)).")
            }
            let unknown = named.filter { groups[$0] == nil }
            guard unknown.isEmpty else {
                throw NovaError(
                    .badValue,
                    "Real suffixes should be specified in `same_subtree`: \(pythonList(unknown)) not found in "
                        + "\(pythonList(order)).")
            }
        } else {
            let traitOrphans = resourceless.filter { !(groups[$0]?.traits.isEmpty ?? true) }.map { "required\($0)" }
            guard traitOrphans.isEmpty else {
                throw NovaError.badRequest(
                    "All traits parameters must be associated with resources.  Found the following orphaned traits "
                        + "keys: \(traitOrphans.joined(separator: ", "))")
            }
            let aggregateOrphans = resourceless.filter { !(groups[$0]?.memberOf.isEmpty ?? true) }.map {
                "member_of\($0)"
            }
            guard aggregateOrphans.isEmpty else {
                throw NovaError.badRequest(
                    "All member_of parameters must be associated with resources. Found the following orphaned "
                        + "member_of keys: \(aggregateOrphans.joined(separator: ", "))")
            }
            guard resourceless.isEmpty else { throw NovaError.badRequest("All request groups must specify resources.") }
            guard !order.isEmpty else {
                throw NovaError.badRequest(
                    "At least one request group (`resources` or `resources{$S}`) is required.")
            }
        }
        guard version >= APIVersion(1, 22) else { return }
        var conflicts: [String] = []
        for suffix in order {
            guard let traits = groups[suffix]?.traits else { continue }
            for trait in traits.required where traits.forbidden.contains(trait) {
                conflicts.append("required\(suffix): (\(trait))")
            }
            for set in traits.anyOf where set.isSubset(of: traits.forbidden) {
                conflicts.append("required\(suffix): (\(set.sorted().joined(separator: ", ")))")
            }
        }
        guard conflicts.isEmpty else {
            throw NovaError.badRequest(
                "Conflicting required and forbidden traits found in the following traits keys: "
                    + conflicts.sorted().joined(separator: ", "))
        }
    }

    /// A list of names as Python writes one: `['a', 'b']`.
    static func pythonList(_ names: [String]) -> String {
        "[" + names.map { "'\($0)'" }.joined(separator: ", ") + "]"
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
}
