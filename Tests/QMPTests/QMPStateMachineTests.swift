import Testing

@testable import QMP

@Suite struct QMPStateMachineTests {
    static let greeting: QMPValue = [
        "QMP": [
            "version": ["qemu": ["major": 7, "minor": 2, "micro": 22], "package": "Debian"], "capabilities": ["oob"],
        ]
    ]

    func sent(_ actions: [QMPStateMachine.Action]) -> [QMPValue] {
        actions.compactMap { if case .send(let bytes) = $0 { try? QMPValue.parse(bytes.dropLast()) } else { nil } }
    }

    func ready() -> QMPStateMachine {
        var machine = QMPStateMachine()
        _ = machine.receive(Self.greeting)
        _ = machine.receive(["return": [:], "id": 0])
        return machine
    }

    @Test func greetingStartsNegotiationAndCommandsWaitForIt() throws {
        var machine = QMPStateMachine()
        let early = machine.command("query-status")
        #expect(early.actions.isEmpty)
        let afterGreeting = machine.receive(Self.greeting)
        #expect(sent(afterGreeting) == [["execute": "qmp_capabilities", "id": 0]])
        #expect(machine.state == .negotiating)
        let afterCapabilities = machine.receive(["return": [:], "id": 0])
        guard case .ready(let greeting) = afterCapabilities.first else {
            Issue.record("expected ready first, got \(afterCapabilities)")
            return
        }
        #expect(greeting.version == "7.2.22")
        #expect(greeting.capabilities == ["oob"])
        #expect(sent(afterCapabilities) == [["execute": "query-status", "id": .number(Double(early.id))]])
    }

    @Test func repliesAreMatchedByIDInAnyOrder() {
        var machine = ready()
        let first = machine.command("stop")
        let second = machine.command("query-vnc", arguments: ["x": 1])
        #expect(
            sent(second.actions) == [["execute": "query-vnc", "arguments": ["x": 1], "id": .number(Double(second.id))]])
        let secondReply = machine.receive(["return": ["service": "5900"], "id": .number(Double(second.id))])
        #expect(secondReply == [.complete(id: second.id, .success(["service": "5900"]))])
        let firstReply = machine.receive(["return": [:], "id": .number(Double(first.id))])
        #expect(firstReply == [.complete(id: first.id, .success([:]))])
    }

    @Test func errorRepliesCarryClassAndDescription() {
        var machine = ready()
        let command = machine.command("cont")
        let reply = machine.receive([
            "error": ["class": "GenericError", "desc": "guest is not paused"], "id": .number(Double(command.id)),
        ])
        #expect(
            reply == [
                .complete(
                    id: command.id, .failure(.command(errorClass: "GenericError", description: "guest is not paused")))
            ])
    }

    @Test func eventsPassThroughWithTheirTimestamp() {
        var machine = ready()
        let actions = machine.receive([
            "event": "SHUTDOWN", "data": ["guest": true], "timestamp": ["seconds": 100, "microseconds": 500_000],
        ])
        #expect(actions == [.event(QMPEvent(name: "SHUTDOWN", data: ["guest": true], timestamp: 100.5))])
    }

    @Test func closingFailsEveryPendingCommandOnce() {
        var machine = ready()
        let a = machine.command("stop")
        let b = machine.command("cont")
        #expect(machine.connectionClosed() == [.fail(ids: [a.id, b.id], .connectionClosed)])
        #expect(machine.connectionClosed().isEmpty)
        let late = machine.command("query-status")
        #expect(late.actions == [.complete(id: late.id, .failure(.connectionClosed))])
    }

    @Test(arguments: [
        QMPValue.object(["return": [:], "id": 99]), ["something": "else"],
    ])
    func unexpectedMessagesClose(message: QMPValue) {
        var machine = ready()
        let pending = machine.command("stop")
        let actions = machine.receive(message)
        guard case .fail(let ids, .protocolViolation)? = actions.first else {
            Issue.record("expected a protocol violation, got \(actions)")
            return
        }
        #expect(ids == [pending.id])
        #expect(machine.state == .closed)
    }

    @Test func aServerThatDoesNotGreetIsRejected() {
        var machine = QMPStateMachine()
        guard case .fail(_, .protocolViolation)? = machine.receive(["return": [:]]).first else {
            Issue.record("expected a protocol violation")
            return
        }
    }

    @Test func refusedCapabilitiesClose() {
        var machine = QMPStateMachine()
        _ = machine.receive(Self.greeting)
        let actions = machine.receive(["error": ["class": "CommandNotFound", "desc": "no"], "id": 0])
        #expect(actions == [.fail(ids: [], .command(errorClass: "CommandNotFound", description: "no"))])
    }
}
