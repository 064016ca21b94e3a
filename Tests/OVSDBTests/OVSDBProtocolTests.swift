import OVSDB
import Testing

/// The protocol core without a socket: framing a byte stream, numbering requests, matching responses,
/// answering echo, delivering monitor updates, failing what is outstanding when the peer goes.
@Suite struct OVSDBProtocolTests {
    @Test func theFramerSplitsBackToBackTextsAcrossReads() throws {
        var framer = OVSDBFramer()
        let stream = Array(#"{"id":1,"result":["a}"]}  {"method":"echo","params":[],"id":"echo"}[1,{"x":"\"]"}]"#.utf8)
        var texts: [[UInt8]] = []
        for chunk in stride(from: 0, to: stream.count, by: 7) {
            texts += try framer.append(stream[chunk..<min(chunk + 7, stream.count)])
        }
        #expect(
            texts.map { String(decoding: $0, as: UTF8.self) } == [
                #"{"id":1,"result":["a}"]}"#, #"{"method":"echo","params":[],"id":"echo"}"#, #"[1,{"x":"\"]"}]"#,
            ])
        var bad = OVSDBFramer()
        #expect(throws: OVSDBFramer.FramingError.unbalanced) { try bad.append(Array("x{}".utf8)) }
    }

    @Test func requestsAreMatchedToTheirResponses() throws {
        var machine = OVSDBStateMachine()
        let (first, sent) = machine.request("list_dbs", [])
        guard case .send(let bytes) = sent.first else { Issue.record("nothing sent"); return }
        let request = try OVSDBValue.parse(bytes)
        #expect(request["method"] == "list_dbs" && request["id"]?.integerValue == Int64(first))
        let (second, _) = machine.request("transact", ["OVN_Northbound"])
        #expect(
            machine.receive(["id": .integer(Int64(second)), "result": [], "error": .null])
                == [.complete(id: second, .success([]))])
        #expect(
            machine.receive(["id": .integer(Int64(first)), "result": .null, "error": "unknown database"])
                == [.complete(id: first, .failure(.rpc(error: "unknown database", details: "")))])
        #expect(
            machine.receive(["id": 99, "result": [], "error": .null]).first.map {
                if case .fail = $0 { true } else { false }
            } == true)
        #expect(machine.isClosed)
    }

    @Test func echoIsAnsweredAndUpdatesAreDelivered() throws {
        var machine = OVSDBStateMachine()
        let echo = machine.receive(["method": "echo", "params": ["x"], "id": "echo"])
        guard case .send(let bytes) = echo.first else { Issue.record("echo not answered"); return }
        #expect(try OVSDBValue.parse(bytes) == ["result": ["x"], "error": .null, "id": "echo"])
        let update = machine.receive(["method": "update2", "params": ["nb", ["Logical_Switch": [:]]], "id": .null])
        #expect(update == [.update(monitor: "nb", method: "update2", tables: ["Logical_Switch": [:]])])
        let (id, _) = machine.request("echo", [])
        #expect(machine.connectionClosed() == [.fail(ids: [id], .connectionClosed)])
        #expect(machine.request("echo", []).actions.count == 1)
    }

    @Test func theAtomFormsReadBack() {
        #expect(OVSDBValue.uuid("u").uuidValue == "u")
        #expect(OVSDBValue.set(["a", "b"]).setElements == ["a", "b"])
        #expect(OVSDBValue.string("lone").setElements == ["lone"])
        #expect(OVSDBValue.map(["k": "v", "a": "b"]).stringMap == ["k": "v", "a": "b"])
        #expect(OVSDBValue.integer(1 << 60).serialized() == Array("1152921504606846976".utf8))
    }
}
