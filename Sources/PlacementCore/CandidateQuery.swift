/// Trait rules of a request group: all of `required`, none of `forbidden`, at least one of each `anyOf` set.
public struct TraitRule: Sendable, Equatable {
    public var required: Set<String> = []
    public var forbidden: Set<String> = []
    public var anyOf: [Set<String>] = []

    public init(required: Set<String> = [], forbidden: Set<String> = [], anyOf: [Set<String>] = []) {
        self.required = required
        self.forbidden = forbidden
        self.anyOf = anyOf
    }

    public var isEmpty: Bool { required.isEmpty && forbidden.isEmpty && anyOf.isEmpty }

    public func matches(_ traits: Set<String>) -> Bool {
        required.isSubset(of: traits) && forbidden.isDisjoint(with: traits)
            && anyOf.allSatisfy { !$0.isDisjoint(with: traits) }
    }

    /// Parses `required` values: `T1,!T2` (all of / none of) or `in:T1,T2` (any of); repeated values AND-ed.
    public mutating func add(_ value: String) {
        if value.hasPrefix("in:") {
            anyOf.append(Set(value.dropFirst(3).split(separator: ",").map(String.init)))
            return
        }
        for item in value.split(separator: ",") {
            if item.hasPrefix("!") { forbidden.insert(String(item.dropFirst())) } else { required.insert(String(item)) }
        }
    }

    public var allNames: Set<String> { required.union(forbidden).union(anyOf.reduce(into: Set()) { $0.formUnion($1) }) }
}

/// Aggregate rules (`member_of`): in at least one of each `anyOf` set, in none of `forbidden`.
public struct AggregateRule: Sendable, Equatable {
    public var anyOf: [Set<String>] = []
    public var forbidden: Set<String> = []

    public init(anyOf: [Set<String>] = [], forbidden: Set<String> = []) {
        self.anyOf = anyOf
        self.forbidden = forbidden
    }

    public var isEmpty: Bool { anyOf.isEmpty && forbidden.isEmpty }

    public func matches(_ aggregates: Set<String>) -> Bool {
        forbidden.isDisjoint(with: aggregates) && anyOf.allSatisfy { !$0.isDisjoint(with: aggregates) }
    }

    /// Parses a `member_of` value: `agg`, `in:a,b`, `!agg` or `!in:a,b`.
    public mutating func add(_ value: String) {
        var text = Substring(value)
        let negated = text.hasPrefix("!")
        if negated { text = text.dropFirst() }
        if text.hasPrefix("in:") { text = text.dropFirst(3) }
        let names = Set(text.split(separator: ",").map(String.init))
        if negated { forbidden.formUnion(names) } else { anyOf.append(names) }
    }
}

/// A request group: the unsuffixed one may spread over a tree and sharing providers; a numbered one must be
/// satisfied by a single provider.
public struct RequestGroup: Sendable, Equatable {
    public var suffix: String
    public var resources: [String: Int]
    public var traits: TraitRule
    public var memberOf: AggregateRule
    public var inTree: String?

    public init(
        suffix: String = "", resources: [String: Int] = [:], traits: TraitRule = TraitRule(),
        memberOf: AggregateRule = AggregateRule(), inTree: String? = nil
    ) {
        self.suffix = suffix
        self.resources = resources
        self.traits = traits
        self.memberOf = memberOf
        self.inTree = inTree
    }

    public var isUnsuffixed: Bool { suffix.isEmpty }
}

/// GET /allocation_candidates, parsed.
public struct CandidateQuery: Sendable, Equatable {
    public enum GroupPolicy: String, Sendable { case none, isolate }

    public var groups: [RequestGroup]
    public var groupPolicy: GroupPolicy
    public var limit: Int?
    public var rootRequired: TraitRule
    /// Each entry names groups (by suffix) that must sit under one common provider among their own.
    public var sameSubtree: [[String]]

    public init(
        groups: [RequestGroup], groupPolicy: GroupPolicy = .none, limit: Int? = nil,
        rootRequired: TraitRule = TraitRule(),
        sameSubtree: [[String]] = []
    ) {
        self.groups = groups
        self.groupPolicy = groupPolicy
        self.limit = limit
        self.rootRequired = rootRequired
        self.sameSubtree = sameSubtree
    }

    /// A plain request: these resources, from one tree, with these traits.
    public static func resources(_ resources: [String: Int], required: TraitRule = TraitRule(), limit: Int? = nil)
        -> CandidateQuery
    {
        CandidateQuery(groups: [RequestGroup(resources: resources, traits: required)], limit: limit)
    }
}

/// One way to satisfy a query: provider -> class -> amount, and which providers each group used (1.34).
public struct AllocationRequest: Sendable, Hashable {
    /// Most answers are one provider giving the unsuffixed group everything: that is kept as just the
    /// provider, and the dictionaries are made only for a reader that asks for them.
    enum Shape: Sendable, Hashable {
        case sole(provider: String, resources: [String: Int])
        case any(allocations: [String: [String: Int]], mappings: [String: [String]])
    }

    var shape: Shape

    /// The tree this request lands on (its first non-sharing provider's root), set by the search.
    public var rootUUID: String = ""

    public init(allocations: [String: [String: Int]], mappings: [String: [String]]) {
        shape = .any(allocations: allocations, mappings: mappings)
    }

    /// The unsuffixed group's resources, all from one provider.
    public init(provider: String, resources: [String: Int]) {
        shape = .sole(provider: provider, resources: resources)
    }

    /// The provider and resources of a request that takes from one provider for the unsuffixed group.
    public var sole: (provider: String, resources: [String: Int])? {
        if case .sole(let provider, let resources) = shape { return (provider, resources) }
        return nil
    }

    public var allocations: [String: [String: Int]] {
        get {
            switch shape {
            case .sole(let provider, let resources): [provider: resources]
            case .any(let allocations, _): allocations
            }
        }
        set { shape = .any(allocations: newValue, mappings: mappings) }
    }

    public var mappings: [String: [String]] {
        get {
            switch shape {
            case .sole(let provider, _): ["": [provider]]
            case .any(_, let mappings): mappings
            }
        }
        set { shape = .any(allocations: allocations, mappings: newValue) }
    }

    public static func == (lhs: AllocationRequest, rhs: AllocationRequest) -> Bool {
        lhs.rootUUID == rhs.rootUUID && lhs.allocations == rhs.allocations && lhs.mappings == rhs.mappings
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rootUUID)
        hasher.combine(allocations)
        hasher.combine(mappings)
    }
}

/// The answer: the requests and the providers they involve (whole trees, and sharing providers used).
public struct CandidateResult: Sendable {
    public var requests: [AllocationRequest]
    public var summaries: [ResourceProvider]

    public init(requests: [AllocationRequest], summaries: [ResourceProvider]) {
        self.requests = requests
        self.summaries = summaries
    }
}
