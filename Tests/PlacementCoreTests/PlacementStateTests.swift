import NovaCore
import PlacementCore
import Testing

@Suite struct PlacementStateTests {
    @Test(arguments: [
        (total: 8, reserved: 0, ratio: 1.0, capacity: 8), (total: 8, reserved: 2, ratio: 1.0, capacity: 6),
        (total: 8, reserved: 0, ratio: 4.0, capacity: 32), (total: 1024, reserved: 512, ratio: 1.5, capacity: 768),
    ])
    func capacityIsTotalLessReservedTimesRatio(total: Int, reserved: Int, ratio: Double, capacity: Int) {
        #expect(Inventory(total: total, reserved: reserved, allocationRatio: ratio).capacity == capacity)
    }

    @Test func aStaleGenerationIsAConflict() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4])
        let generation = try tree.state.provider("cn1").generation
        try tree.state.setTraits("cn1", generation: generation, ["HW_CPU_X86_AVX"])
        expectCode(.placementConflict) {
            try tree.state.setTraits("cn1", generation: generation, [])
        }
        #expect(try tree.state.provider("cn1").traits == ["HW_CPU_X86_AVX"])
    }

    @Test func allocationsAreCheckedAgainstCapacityAndUnits() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 4, "MEMORY_MB": 1024])
        try tree.allocate("a", ["cn1": ["VCPU": 3]])
        #expect(throws: NovaError.self) { try tree.allocate("b", ["cn1": ["VCPU": 2]]) }
        #expect(throws: NovaError.self) { try tree.allocate("b", ["cn1": ["DISK_GB": 1]]) }
        try tree.allocate("a", ["cn1": ["VCPU": 4]])
        #expect(try tree.state.provider("cn1").usages == ["VCPU": 4])
        try tree.state.deleteAllocations("a")
        #expect(try tree.state.provider("cn1").usages.isEmpty)
    }

    @Test func aFailedMultiConsumerWriteChangesNothing() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 2])
        let before = tree.state.consumers
        #expect(throws: NovaError.self) {
            try tree.state.writeAllocations([
                AllocationWrite(consumerUUID: "a", allocations: ["cn1": ["VCPU": 1]], projectID: "p", userID: "u"),
                AllocationWrite(consumerUUID: "b", allocations: ["cn1": ["VCPU": 2]], projectID: "p", userID: "u"),
            ])
        }
        #expect(tree.state.consumers == before)
        #expect(try tree.state.provider("cn1").usages.isEmpty)
    }

    @Test func consumerGenerationsGuardConcurrentWriters() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 8])
        let write = AllocationWrite(consumerUUID: "a", allocations: ["cn1": ["VCPU": 1]], projectID: "p", userID: "u")
        try tree.state.writeAllocations([write])
        #expect(tree.state.consumers["a"]?.generation == 1)
        #expect(throws: NovaError.self) { try tree.state.writeAllocations([write]) }
        var next = write
        next.consumerGeneration = 1
        next.allocations = ["cn1": ["VCPU": 2]]
        try tree.state.writeAllocations([next])
        #expect(tree.state.consumers["a"]?.generation == 2)
    }

    /// Placement's _set_allocations: the providers of the new allocations change generation once per write,
    /// and so do those of a consumer the write empties; a move leaves the old provider's generation, and
    /// so does DELETE /allocations/{consumer}.
    @Test func theGenerationsAWriteChanges() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 8]).provider("cn2", ["VCPU": 8])
        func generation(_ uuid: String) throws -> Int { try tree.state.provider(uuid).generation }
        let start = try (generation("cn1"), generation("cn2"))
        try tree.allocate("a", ["cn1": ["VCPU": 1]])
        try tree.allocate("a", ["cn2": ["VCPU": 1]])
        #expect(try (generation("cn1"), generation("cn2")) == (start.0 + 1, start.1 + 1))
        try tree.allocate("a", [:])
        #expect(try (generation("cn1"), generation("cn2")) == (start.0 + 1, start.1 + 2))
        try tree.allocate("b", ["cn1": ["VCPU": 1]])
        try tree.state.deleteAllocations("b")
        #expect(try generation("cn1") == start.0 + 2)
        #expect(try tree.state.provider("cn1").usages.isEmpty)
        #expect(tree.state.consumers["b"] == nil)
    }

    @Test func inUseInventoryAndProvidersCannotBeRemoved() throws {
        let tree = Tree()
        try tree.provider("cn1", ["VCPU": 8, "MEMORY_MB": 512])
        try tree.allocate("a", ["cn1": ["VCPU": 1]])
        expectCode(.inventoryInUse) {
            try tree.state.setInventories("cn1", generation: nil, ["MEMORY_MB": Inventory(total: 512)])
        }
        expectCode(.providerInUse) { try tree.state.deleteProvider("cn1") }
        try tree.state.deleteInventory("cn1", "MEMORY_MB", generation: nil)
    }

    @Test func aParentWithChildrenCannotBeDeleted() throws {
        let tree = Tree()
        try tree.provider("cn1").provider("numa0", parent: "cn1")
        expectCode(.cannotDeleteParent) { try tree.state.deleteProvider("cn1") }
        #expect(try tree.state.provider("numa0").rootUUID == "cn1")
    }

    @Test func customClassesAndTraitsFollowTheNamingRule() throws {
        var state = PlacementState()
        #expect(throws: NovaError.self) { try state.createResourceClass("FPGA_THING") }
        try state.createResourceClass("CUSTOM_FPGA")
        try state.createTrait("CUSTOM_RACK_1")
        #expect(state.isKnownClass("CUSTOM_FPGA") && state.isKnownTrait("CUSTOM_RACK_1"))
        #expect(throws: NovaError.self) { try state.deleteResourceClass("VCPU") }
    }

    @Test func concurrentClaimsNeverOvercommit() async throws {
        let service = try await PlacementService(persistence: TransientPlacementPersistence())
        try await service.write { state in
            try state.createProvider(uuid: "cn1", name: "cn1", parentUUID: nil)
            try state.setInventories("cn1", generation: nil, ["VCPU": Inventory(total: 10)])
        }
        let granted = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<50 {
                group.addTask {
                    (try? await service.claim([
                        AllocationWrite(
                            consumerUUID: "c\(index)", allocations: ["cn1": ["VCPU": 1]], projectID: "p", userID: "u")
                    ])) ?? false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 10)
        #expect(service.snapshot.providers["cn1"]?.usages["VCPU"] == 10)
    }
}

/// Expects `body` to throw a NovaError with `code`.
func expectCode(_ code: NovaError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    let error = #expect(throws: NovaError.self, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
}
