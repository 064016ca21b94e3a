import Foundation
import NovaCore
import Testing

@Suite struct ServerStatusTests {
    @Test(arguments: [
        (VMState.active, TaskState?.none, "ACTIVE"), (.active, .rebooting, "REBOOT"),
        (.active, .rebootingHard, "HARD_REBOOT"),
        (.active, .resizePrep, "RESIZE"), (.active, .migrating, "MIGRATING"), (.building, .scheduling, "BUILD"),
        (.stopped, nil, "SHUTOFF"), (.stopped, .rebuilding, "REBUILD"), (.paused, nil, "PAUSED"),
        (.suspended, nil, "SUSPENDED"),
        (.resized, nil, "VERIFY_RESIZE"), (.resized, .resizeReverting, "REVERT_RESIZE"), (.error, nil, "ERROR"),
        (.error, .rebuilding, "REBUILD"), (.deleted, nil, "DELETED"), (.softDeleted, nil, "SOFT_DELETED"),
        (.shelvedOffloaded, nil, "SHELVED_OFFLOADED"), (.rescued, nil, "RESCUE"),
    ])
    func mapsLikeNova(vmState: VMState, taskState: TaskState?, status: String) {
        #expect(ServerStatus.of(vmState: vmState, taskState: taskState) == status)
    }

    @Test func statusFilterFindsTheVMStates() {
        #expect(ServerStatus.vmStates(forStatus: "shutoff") == [.stopped])
        #expect(ServerStatus.vmStates(forStatus: "NOPE") == nil)
    }
}

@Suite struct InstanceOperationTests {
    @Test func startOfAnActiveServerIsAConflict() {
        #expect(throws: NovaError.self) {
            try InstanceOperation.start.check(vmState: .active, taskState: nil, launched: true, instanceID: "x")
        }
        do {
            try InstanceOperation.start.check(vmState: .active, taskState: nil, launched: true, instanceID: "x")
        } catch {
            #expect(error.code == .conflict)
            #expect(error.message == "Cannot 'start' instance x while it is in vm_state active")
        }
    }

    @Test(arguments: [
        (InstanceOperation.stop, VMState.active, true), (.stop, .error, true), (.stop, .stopped, false),
        (.pause, .active, true), (.pause, .paused, false), (.unpause, .paused, true), (.resume, .suspended, true),
        (.resume, .active, false), (.rebootSoft, .paused, false), (.rebootHard, .paused, true),
        (.rebootHard, .error, true),
        (.delete, .building, true), (.delete, .error, true),
    ])
    func vmStateGuards(operation: InstanceOperation, vmState: VMState, allowed: Bool) {
        let passed = (try? operation.check(vmState: vmState, taskState: nil, launched: true, instanceID: "x")) != nil
        #expect(passed == allowed)
    }

    @Test func hardRebootMayInterruptASoftReboot() throws {
        try InstanceOperation.rebootHard.check(vmState: .active, taskState: .rebooting, launched: true, instanceID: "x")
        #expect(throws: NovaError.self) {
            try InstanceOperation.rebootSoft.check(
                vmState: .active, taskState: .rebooting, launched: true, instanceID: "x")
        }
        #expect(throws: NovaError.self) {
            try InstanceOperation.rebootHard.check(
                vmState: .active, taskState: .deleting, launched: true, instanceID: "x")
        }
    }

    @Test func anUnlaunchedServerCannotBeStopped() {
        #expect(throws: NovaError.self) {
            try InstanceOperation.stop.check(vmState: .active, taskState: nil, launched: false, instanceID: "x")
        }
        #expect(
            (try? InstanceOperation.delete.check(
                vmState: .building, taskState: .spawning, launched: false, instanceID: "x")) != nil)
    }

    @Test func everyPowerOperationHasAnOutcomeAndATaskState() {
        for operation in InstanceOperation.allCases where operation != .lock && operation != .unlock {
            #expect(operation.taskState != nil)
            // A rebuild keeps the server's power intent, so its outcome depends on the server.
            #expect((operation.outcome != nil) == (operation != .rebuild), "\(operation)")
            #expect(!operation.computeMethod.isEmpty)
        }
    }
}

@Suite struct InstanceUpdateTests {
    func instance() -> Instance {
        Instance(
            uuid: "u", displayName: "vm", projectID: "p", userID: "u", flavor: Flavor.defaults[0], imageRef: "i",
            createdAt: Date(timeIntervalSince1970: 0), reservationID: "r")
    }

    @Test func compareAndSetRefusesAStaleTaskState() {
        var server = instance()
        server.taskState = .deleting
        let update = InstanceUpdate(expectedTaskStates: [.spawning], vmState: .active, taskState: .some(nil))
        #expect(throws: NovaError.self) { try update.apply(to: &server, at: Date()) }
        #expect(server.vmState == .building)
        #expect(server.taskState == .deleting)
    }

    @Test func anUpdateCanClearTheTaskState() throws {
        var server = instance()
        server.taskState = .spawning
        try InstanceUpdate(
            expectedTaskStates: [.spawning], vmState: .active, taskState: .some(nil), powerState: .running
        )
        .apply(to: &server, at: Date())
        #expect(server.status == "ACTIVE")
        #expect(server.taskState == nil)
        #expect(server.powerState == .running)
    }

    @Test func leavingTaskStateOutKeepsIt() throws {
        var server = instance()
        try InstanceUpdate(host: "h1").apply(to: &server, at: Date())
        #expect(server.taskState == .scheduling)
        #expect(server.host == "h1")
    }

    @Test func updatesSurviveEncoding() throws {
        let update = InstanceUpdate(expectedTaskStates: [nil, .spawning], taskState: .some(nil))
        let decoded = try JSONDecoder().decode(InstanceUpdate.self, from: JSONEncoder().encode(update))
        #expect(decoded == update)
        #expect(decoded.setTaskState)
    }

    @Test(arguments: [("My Server!", "my-server"), ("__", "server"), ("a.b c", "a-b-c")])
    func hostnamesAreSanitised(name: String, hostname: String) {
        #expect(Instance.sanitizedHostname(name) == hostname)
    }
}
