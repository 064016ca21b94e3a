import NovaCore
import PlacementCore
import Testing

@Suite struct CandidateSearchTests {
    @Test func flatProvidersWithRoomAreCandidates() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4, "MEMORY_MB": 2048]).provider("cn2", ["VCPU": 4, "MEMORY_MB": 512])
        let found = tree.candidates(.resources(["VCPU": 1, "MEMORY_MB": 1024]))
        #expect(found == [["cn1": ["VCPU": 1, "MEMORY_MB": 1024]]])
    }

    @Test func forbiddenRequiredAndAnyOfTraits() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4], traits: ["COMPUTE_STATUS_DISABLED"])
            .provider("cn2", ["VCPU": 4], traits: ["HW_CPU_X86_AVX"])
            .provider("cn3", ["VCPU": 4], traits: ["HW_CPU_X86_AVX2"])
        var rule = TraitRule()
        rule.add("!COMPUTE_STATUS_DISABLED")
        #expect(tree.candidates(.resources(["VCPU": 1], required: rule)).count == 2)
        rule.add("in:HW_CPU_X86_AVX,HW_CPU_X86_SSE")
        #expect(tree.candidates(.resources(["VCPU": 1], required: rule)) == [["cn2": ["VCPU": 1]]])
    }

    @Test func memberOfRestrictsToAggregates() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4], aggregates: ["agg1"]).provider("cn2", ["VCPU": 4], aggregates: ["agg2"])
        let query = CandidateQuery(groups: [group("", ["VCPU": 1], memberOf: "in:agg2,agg3")])
        #expect(tree.candidates(query) == [["cn2": ["VCPU": 1]]])
        let forbidden = CandidateQuery(groups: [group("", ["VCPU": 1], memberOf: "!agg2")])
        #expect(tree.candidates(forbidden) == [["cn1": ["VCPU": 1]]])
    }

    @Test func groupsTakingFromOneProviderMustFitItsMaxUnitTogether() throws {
        let tree = Tree()
        try tree.provider("left", ["VGPU": 8])
        try tree.state.createProvider(uuid: "right", name: "right", parentUUID: nil)
        try tree.state.setInventories("right", generation: nil, ["VGPU": Inventory(total: 8, maxUnit: 2)])
        let query = CandidateQuery(
            groups: [group("", ["VGPU": 1]), group("1", ["VGPU": 1]), group("2", ["VGPU": 1])], groupPolicy: .none)
        #expect(tree.candidates(query) == [["left": ["VGPU": 3]]])
    }

    /// A root's aggregates span its tree for the unsuffixed group; a numbered group sees a provider's own.
    @Test func aNumberedGroupReadsOnlyItsProvidersOwnAggregates() throws {
        let tree = Tree()
        try tree.provider("cn1", aggregates: ["aggA"]).provider("numa0", parent: "cn1", ["VCPU": 4])
        #expect(tree.candidates(CandidateQuery(groups: [group("", ["VCPU": 1], memberOf: "aggA")])).count == 1)
        #expect(tree.candidates(CandidateQuery(groups: [group("1", ["VCPU": 1], memberOf: "aggA")])).isEmpty)
    }

    @Test func theUnsuffixedGroupSpreadsOverANestedTree() throws {
        let tree = Tree()
        try tree.provider("cn1", ["DISK_GB": 100])
            .provider("numa0", parent: "cn1", ["VCPU": 2, "MEMORY_MB": 1024])
            .provider("numa1", parent: "cn1", ["VCPU": 4, "MEMORY_MB": 4096])
        let result = tree.state.allocationCandidates(.resources(["VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 10]))
        #expect(
            Set(result.requests.map(\.allocations)) == [
                ["cn1": ["DISK_GB": 10], "numa1": ["VCPU": 2, "MEMORY_MB": 2048]],
                ["cn1": ["DISK_GB": 10], "numa0": ["VCPU": 2], "numa1": ["MEMORY_MB": 2048]],
            ])
        #expect(Set(result.summaries.map(\.uuid)) == ["cn1", "numa0", "numa1"])
    }

    @Test func numberedGroupsEachTakeOneProviderAndIsolateKeepsThemApart() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 8])
            .provider("pf1", parent: "cn1", ["SRIOV_NET_VF": 4]).provider("pf2", parent: "cn1", ["SRIOV_NET_VF": 4])
        let none = CandidateQuery(
            groups: [group("", ["VCPU": 1]), group("1", ["SRIOV_NET_VF": 1]), group("2", ["SRIOV_NET_VF": 1])],
            groupPolicy: .none)
        #expect(tree.candidates(none).count == 4)
        var isolate = none
        isolate.groupPolicy = .isolate
        let found = tree.state.allocationCandidates(isolate).requests
        #expect(found.count == 2)
        #expect(found.allSatisfy { $0.mappings["1"] != $0.mappings["2"] })
    }

    @Test func groupsOnOneProviderMustFitTogether() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 3])
        let query = CandidateQuery(
            groups: [group("1", ["VCPU": 2]), group("2", ["VCPU": 2])], groupPolicy: .none)
        #expect(tree.candidates(query).isEmpty)
    }

    @Test func sharingProvidersServeTheirAggregate() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4], aggregates: ["agg"]).provider("cn2", ["VCPU": 4])
            .provider("ss", ["DISK_GB": 1000], traits: ["MISC_SHARES_VIA_AGGREGATE"], aggregates: ["agg"])
        let found = tree.candidates(.resources(["VCPU": 1, "DISK_GB": 50]))
        #expect(found == [["cn1": ["VCPU": 1], "ss": ["DISK_GB": 50]]])
        #expect(tree.candidates(.resources(["DISK_GB": 50])) == [["ss": ["DISK_GB": 50]]])
    }

    @Test func rootRequiredAndInTree() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4], traits: ["CUSTOM_GOLD"]).provider("cn2", ["VCPU": 4])
            .provider("numa", parent: "cn2", ["MEMORY_MB": 1024])
        var query = CandidateQuery.resources(["VCPU": 1])
        query.rootRequired.add("!CUSTOM_GOLD")
        #expect(tree.candidates(query) == [["cn2": ["VCPU": 1]]])
        var inTree = CandidateQuery(groups: [RequestGroup(resources: ["VCPU": 1], inTree: "numa")])
        #expect(tree.candidates(inTree) == [["cn2": ["VCPU": 1]]])
        inTree.groups[0].inTree = "cn1"
        #expect(tree.candidates(inTree) == [["cn1": ["VCPU": 1]]])
    }

    @Test func sameSubtreeKeepsGroupsUnderOneAncestor() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4])
            .provider("numa0", parent: "cn1", traits: ["HW_NUMA_ROOT"]).provider(
                "numa1", parent: "cn1", traits: ["HW_NUMA_ROOT"]
            )
            .provider("gpu0", parent: "numa0", ["VGPU": 1]).provider("nic1", parent: "numa1", ["SRIOV_NET_VF": 1])
        let query = CandidateQuery(
            groups: [
                group("_NUMA", required: "HW_NUMA_ROOT"), group("_GPU", ["VGPU": 1]),
                group("_NIC", ["SRIOV_NET_VF": 1]),
            ], groupPolicy: .none, sameSubtree: [["_NUMA", "_GPU", "_NIC"]])
        #expect(tree.candidates(query).isEmpty)
        var gpuOnly = query
        gpuOnly.groups.removeLast()
        gpuOnly.sameSubtree = [["_NUMA", "_GPU"]]
        let found = tree.state.allocationCandidates(gpuOnly).requests
        #expect(found.map { $0.mappings["_NUMA"] } == [["numa0"]])
    }

    @Test func limitStopsTheSearchEarly() throws {
        let tree = Tree()
        for index in 0..<20 { try tree.provider("cn\(index)", ["VCPU": 4]) }
        #expect(tree.candidates(.resources(["VCPU": 1], limit: 3)).count == 3)
        let fixed = Set(
            (0..<20).map { _ in tree.state.allocationCandidates(.resources(["VCPU": 1], limit: 3)).requests[0].rootUUID
            })
        #expect(fixed == ["cn0"])
        let firsts = Set(
            (0..<20).map { _ in
                tree.state.allocationCandidates(.resources(["VCPU": 1], limit: 3), randomStart: true).requests[0]
                    .rootUUID
            })
        #expect(firsts.count > 1)
    }

    @Test func rejectionsAreExplainedPerRoot() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4, "MEMORY_MB": 512]).provider("cn2", ["VCPU": 4, "MEMORY_MB": 8192])
            .provider("cn3", ["VCPU": 4, "MEMORY_MB": 8192], traits: ["COMPUTE_STATUS_DISABLED"])
        var query = CandidateQuery.resources(["VCPU": 1, "MEMORY_MB": 1024])
        query.groups[0].traits.add("!COMPUTE_STATUS_DISABLED")
        #expect(
            tree.state.explainRejections(query) == [
                "cn1": "lacked MEMORY_MB:1024", "cn3": "had COMPUTE_STATUS_DISABLED",
            ])
    }
}
