import NovaCore
import PlacementCore
import Testing

/// The summaries allocation candidates list are written once per provider change and kept with it.
@Suite struct ProviderSummaryTests {
    func summary(_ provider: ResourceProvider, _ form: ResourceProvider.SummaryForm = .full) -> JSON? {
        var writer = JSONWriter()
        provider.writeSummary(form, into: &writer)
        return JSON.parse(writer.bytes)
    }

    /// The same form, spelled so that it is written afresh rather than taken from the provider.
    func fresh(_ provider: ResourceProvider) -> JSON? {
        summary(provider, .init(classes: Set(provider.inventories.keys), traits: true, tree: true))
    }

    @Test func theKeptSummaryFollowsEveryChange() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 8, "MEMORY_MB": 4096], traits: ["HW_CPU_X86_AVX2"])
        let before = try tree.state.provider("cn1")
        #expect(summary(before) == fresh(before))
        #expect(summary(before)?["resources"]?["VCPU"]?["used"] == 0)

        try tree.allocate("c1", ["cn1": ["VCPU": 2]])
        let after = try tree.state.provider("cn1")
        #expect(summary(after)?["resources"]?["VCPU"]?["used"] == 2)
        #expect(summary(after) == fresh(after))
        // The copy taken before the allocation is a value: it still reads as it was.
        #expect(summary(before)?["resources"]?["VCPU"]?["used"] == 0)

        try tree.state.setTraits("cn1", generation: nil, [])
        #expect(summary(try tree.state.provider("cn1"))?["traits"] == .array([]))
        var edited = try tree.state.provider("cn1")
        _ = summary(edited)
        edited.inventories["DISK_GB"] = Inventory(total: 100)
        #expect(summary(edited)?["resources"]?["DISK_GB"]?["capacity"] == 100)
        #expect(summary(edited) == fresh(edited))
    }

    /// Placement lists a provider's traits in its database's order: the standard ones were there first.
    @Test func standardTraitsComeBeforeCustomOnes() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 1], traits: ["CUSTOM_FOO", "HW_NUMA_ROOT", "COMPUTE_NODE", "CUSTOM_BAR"])
        let traits = summary(try tree.state.provider("cn1"))?["traits"]
        #expect(traits == ["COMPUTE_NODE", "HW_NUMA_ROOT", "CUSTOM_BAR", "CUSTOM_FOO"])
    }

    @Test func olderFormsLeaveOutWhatTheirVersionDidNotHave() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 8, "MEMORY_MB": 4096], traits: ["HW_CPU_X86_AVX2"])
        let provider = try tree.state.provider("cn1")
        let old = summary(provider, .init(classes: ["VCPU"], traits: false, tree: false))
        #expect(old == ["resources": ["VCPU": ["capacity": 8, "used": 0]]])
    }

    @Test func aRequestFromOneProviderReadsAsItsGeneralForm() {
        let sole = AllocationRequest(provider: "cn1", resources: ["VCPU": 1])
        let general = AllocationRequest(allocations: ["cn1": ["VCPU": 1]], mappings: ["": ["cn1"]])
        #expect(sole == general)
        #expect(sole.hashValue == general.hashValue)
        #expect(sole.allocations == ["cn1": ["VCPU": 1]])
        #expect(sole.mappings == ["": ["cn1"]])
        #expect(general.sole == nil)
        var changed = sole
        changed.mappings = ["1": ["cn1"]]
        #expect(changed.sole == nil)
        #expect(changed.allocations == ["cn1": ["VCPU": 1]])
    }

    @Test func aParentWhoseChildrenAreGoneIsAFlatCandidateAgain() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4]).provider("numa0", parent: "cn1", ["MEMORY_MB": 1024])
        #expect(
            tree.candidates(.resources(["VCPU": 1, "MEMORY_MB": 512])) == [
                ["cn1": ["VCPU": 1], "numa0": ["MEMORY_MB": 512]]
            ])
        try tree.state.deleteProvider("numa0")
        let result = tree.state.allocationCandidates(.resources(["VCPU": 1]))
        #expect(result.requests.map(\.allocations) == [["cn1": ["VCPU": 1]]])
        #expect(result.requests.first?.sole?.provider == "cn1")
        #expect(result.summaries.map(\.uuid) == ["cn1"])
    }
}
