/// Why trees gave no candidate: Placement only says "no candidates"; this says, per tree, the first
/// constraint it failed, so NoValidHost can name it ("2 lacked MEMORY_MB:8192").
extension PlacementState {
    /// The reason of every root that yields no allocation request (sharing-only roots skipped), by root uuid.
    public func explainRejections(_ query: CandidateQuery) -> [String: String] {
        var reasons: [String: String] = [:]
        for rootUUID in order {
            guard let root = providers[rootUUID], root.parentUUID == nil, !sharingProviders.contains(rootUUID)
            else { continue }
            let tree = subtree(of: rootUUID)
            guard candidates(in: tree, root: root, query, limit: 1).isEmpty else { continue }
            reasons[rootUUID] = reason(tree, root, query)
        }
        return reasons
    }

    func reason(_ tree: [String], _ root: ResourceProvider, _ query: CandidateQuery) -> String {
        if !query.rootRequired.matches(root.traits) { return "failed root_required" }
        let pool = tree + sharingProviders(for: tree)
        let traits = pool.reduce(into: Set<String>()) { $0.formUnion(providers[$1]?.traits ?? []) }
        for group in query.groups {
            if let trait = group.traits.forbidden.sorted().first(where: { root.traits.contains($0) }) {
                return "had \(trait)"
            }
            if let trait = group.traits.required.sorted().first(where: { !traits.contains($0) }) {
                return "lacked trait \(trait)"
            }
            if let inTree = group.inTree, providers[inTree]?.rootUUID != root.uuid { return "outside in_tree" }
            if !group.memberOf.isEmpty,
                !pool.contains(where: { group.memberOf.matches(aggregatesSeen(providers[$0]!, root: root)) })
            {
                return "not in the requested aggregates"
            }
            let lacking = group.resources.sorted(by: { $0.key < $1.key }).filter { resourceClass, amount in
                !pool.contains(where: { providers[$0]?.canAllocate(resourceClass, amount) == true })
            }
            if !lacking.isEmpty {
                return "lacked " + lacking.map { "\($0.key):\($0.value)" }.joined(separator: " and ")
            }
        }
        return "had no combination of providers that fits"
    }
}
