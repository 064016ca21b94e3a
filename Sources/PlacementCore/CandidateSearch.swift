/// GET /allocation_candidates over the in-memory index: tree by tree, each group's options, then their
/// combinations, stopping as soon as `limit` requests are found (Placement builds them all first).
extension PlacementState {
    /// One way a group can be satisfied: what it allocates where, and the providers it used.
    struct GroupOption {
        var allocations: [String: [String: Int]]
        var providers: [String]
    }

    /// - Parameter randomStart: begin the walk over providers at a random place (Placement's
    ///   `randomize_allocation_candidates`), so a `limit` does not always offer the same first providers.
    public func allocationCandidates(_ query: CandidateQuery, randomStart: Bool = false) -> CandidateResult {
        let limit = query.limit ?? Int.max
        var requests: [AllocationRequest] = []
        var sharingUsed: Set<String> = []
        // A group's in_tree limits the trees the request may be anchored in, unless it names a sharing
        // provider's tree: that one serves other trees through its aggregates.
        var treeLimits: [String] = []
        for uuid in query.groups.compactMap(\.inTree) {
            guard let provider = providers[uuid] else { return CandidateResult(requests: [], summaries: []) }
            if !sharingProviders.contains(provider.rootUUID) { treeLimits.append(provider.rootUUID) }
        }
        let simpleGroup =
            query.groups.count == 1 && query.groups[0].isUnsuffixed && !query.groups[0].resources.isEmpty
                && sharingProviders.isEmpty ? query.groups[0] : nil
        // Trees are disjoint, so each root's tree is listed once; only sharing providers can repeat.
        var summaries: [ResourceProvider] = []
        let start = randomStart && !order.isEmpty ? Int.random(in: 0..<order.count) : 0
        for offset in order.indices where requests.count < limit {
            let rootUUID = order[(start + offset) % order.count]
            guard let root = providers[rootUUID], root.parentUUID == nil,
                treeLimits.allSatisfy({ $0 == rootUUID }), query.rootRequired.matches(root.traits)
            else { continue }
            // The common case (Nova's flat compute nodes, no sharing): one provider answers alone or not at all.
            if let group = simpleGroup, children.isEmpty || children[rootUUID]?.isEmpty ?? true {
                guard group.traits.matches(root.traits), group.memberOf.matches(root.aggregates),
                    group.resources.allSatisfy({ root.canAllocate($0.key, $0.value) })
                else { continue }
                var request = AllocationRequest(provider: rootUUID, resources: group.resources)
                request.rootUUID = rootUUID
                requests.append(request)
                summaries.append(root)
                continue
            }
            let tree = subtree(of: rootUUID)
            let found = candidates(in: tree, root: root, query, limit: limit - requests.count)
            guard !found.isEmpty else { continue }
            let treeSet = Set(tree)
            for request in found {
                sharingUsed.formUnion(request.allocations.keys.filter { !treeSet.contains($0) })
            }
            requests += found
            summaries += tree.compactMap { providers[$0] }
        }
        if !sharingUsed.isEmpty {
            var listed = Set(summaries.map(\.uuid))
            for uuid in sharingUsed.sorted() where listed.insert(uuid).inserted {
                if let provider = providers[uuid] { summaries.append(provider) }
            }
        }
        return CandidateResult(requests: requests, summaries: summaries)
    }

    func candidates(in tree: [String], root: ResourceProvider, _ query: CandidateQuery, limit: Int)
        -> [AllocationRequest]
    {
        let sharing = sharingProviders(for: tree)
        var options: [[GroupOption]] = []
        for group in query.groups {
            var pool = tree + sharing
            if let inTree = group.inTree, let limit = providers[inTree]?.rootUUID {
                pool = limit == root.uuid ? tree : sharing.filter { providers[$0]?.rootUUID == limit }
            }
            let groupOptions =
                group.isUnsuffixed ? unsuffixedOptions(group, pool, root) : numberedOptions(group, pool)
            if groupOptions.isEmpty { return [] }
            options.append(groupOptions)
        }
        let treeSet = Set(tree)
        var found: [AllocationRequest] = []
        var chosen: [GroupOption] = []
        func walk(_ index: Int) {
            guard found.count < limit else { return }
            if index == options.count {
                if let request = combine(chosen, query, treeSet) {
                    var request = request
                    request.rootUUID = root.uuid
                    found.append(request)
                }
                return
            }
            for option in options[index] {
                chosen.append(option)
                walk(index + 1)
                chosen.removeLast()
                if found.count >= limit { return }
            }
        }
        walk(0)
        return found
    }

    func aggregatesSeen(_ provider: ResourceProvider, root: ResourceProvider) -> Set<String> {
        provider.uuid == root.uuid || provider.rootUUID != root.uuid
            ? provider.aggregates : provider.aggregates.union(root.aggregates)
    }

    /// A numbered group: every provider of the pool that alone has the resources, traits and aggregates (its
    /// own: a root's aggregates span its tree for the unsuffixed group only, as Placement has it).
    func numberedOptions(_ group: RequestGroup, _ pool: [String]) -> [GroupOption] {
        pool.compactMap { uuid in
            guard let provider = providers[uuid], group.traits.matches(provider.traits),
                group.memberOf.matches(provider.aggregates),
                group.resources.allSatisfy({ provider.canAllocate($0.key, $0.value) })
            else { return nil }
            return GroupOption(
                allocations: group.resources.isEmpty ? [:] : [uuid: group.resources], providers: [uuid])
        }
    }

    /// The unsuffixed group: each class from any provider of the pool; the traits over the providers used.
    func unsuffixedOptions(_ group: RequestGroup, _ pool: [String], _ root: ResourceProvider) -> [GroupOption] {
        guard !group.resources.isEmpty else { return [GroupOption(allocations: [:], providers: [])] }
        let classes = group.resources.keys.sorted()
        var perClass: [[String]] = []
        for resourceClass in classes {
            let amount = group.resources[resourceClass] ?? 0
            let able = pool.filter { uuid in
                guard let provider = providers[uuid] else { return false }
                return provider.canAllocate(resourceClass, amount)
                    && group.memberOf.matches(aggregatesSeen(provider, root: root))
            }
            if able.isEmpty { return [] }
            perClass.append(able)
        }
        var options: [GroupOption] = []
        var picked: [String] = []
        func walk(_ index: Int) {
            if index == classes.count {
                var allocations: [String: [String: Int]] = [:]
                for (offset, uuid) in picked.enumerated() {
                    allocations[uuid, default: [:]][classes[offset]] = group.resources[classes[offset]]
                }
                let used = Array(allocations.keys)
                guard group.traits.isEmpty || traitsHold(group.traits, over: used) else { return }
                options.append(GroupOption(allocations: allocations, providers: used.sorted()))
                return
            }
            for uuid in perClass[index] {
                picked.append(uuid)
                walk(index + 1)
                picked.removeLast()
            }
        }
        walk(0)
        return options
    }

    /// Required traits on some provider used, forbidden ones on none, each any-of set met by some provider.
    func traitsHold(_ rule: TraitRule, over used: [String]) -> Bool {
        var union: Set<String> = []
        for uuid in used {
            guard let traits = providers[uuid]?.traits else { continue }
            if !rule.forbidden.isDisjoint(with: traits) { return false }
            union.formUnion(traits)
        }
        return rule.required.isSubset(of: union) && rule.anyOf.allSatisfy { !$0.isDisjoint(with: union) }
    }

    /// Joins one option per group into a request, or nil when the combination breaks a request-wide rule.
    func combine(_ chosen: [GroupOption], _ query: CandidateQuery, _ tree: Set<String>) -> AllocationRequest? {
        var allocations: [String: [String: Int]] = [:]
        var mappings: [String: [String]] = [:]
        var numberedProviders: Set<String> = []
        for (group, option) in zip(query.groups, chosen) {
            if !group.isUnsuffixed, query.groupPolicy == .isolate {
                for uuid in option.providers where !numberedProviders.insert(uuid).inserted { return nil }
            }
            for (uuid, resources) in option.allocations {
                allocations[uuid, default: [:]].merge(resources) { $0.saturatingAdd($1) }
            }
            mappings[group.suffix] = option.providers
        }
        guard allocations.keys.contains(where: tree.contains) || mappings.values.joined().contains(where: tree.contains)
        else { return nil }
        // Groups that take the same class from one provider must fit together, in its capacity and max_unit.
        for (uuid, resources) in allocations {
            guard let provider = providers[uuid] else { return nil }
            for (resourceClass, amount) in resources {
                guard let inventory = provider.inventories[resourceClass], amount <= inventory.maxUnit,
                    (provider.usages[resourceClass] ?? 0).saturatingAdd(amount) <= inventory.capacity
                else { return nil }
            }
        }
        if let unsuffixed = query.groups.first(where: \.isUnsuffixed), unsuffixed.resources.isEmpty,
            !unsuffixed.traits.isEmpty, !traitsHold(unsuffixed.traits, over: Array(allocations.keys))
        {
            return nil
        }
        for names in query.sameSubtree {
            let members = Set(names.flatMap { mappings[$0] ?? [] })
            guard members.contains(where: { top in members.allSatisfy { isDescendant($0, of: top) } }) else {
                return nil
            }
        }
        mappings = mappings.filter { !$0.value.isEmpty }
        return AllocationRequest(allocations: allocations, mappings: mappings)
    }
}
