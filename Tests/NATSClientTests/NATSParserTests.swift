import NATSClient
import Testing

@Suite struct NATSParserTests {
    func parse(_ chunks: [String]) throws -> [NATSServerOp] {
        var parser = NATSParser()
        var ops: [NATSServerOp] = []
        for chunk in chunks {
            parser.append(Array(chunk.utf8))
            while let op = try parser.next() { ops.append(op) }
        }
        return ops
    }

    @Test func controlLines() throws {
        let ops = try parse([
            "INFO {\"server_id\":\"x\"}\r\nPING\r\nPONG\r\n+OK\r\n-ERR 'Unknown Protocol Operation'\r\n"
        ])
        #expect(ops == [.info("{\"server_id\":\"x\"}"), .ping, .pong, .ok, .error("Unknown Protocol Operation")])
    }

    @Test func aMessageSplitAcrossReadsWaitsForItsBody() throws {
        let ops = try parse(["MSG nova.conductor 7 _INBOX.a.1 5\r\nhel", "lo\r", "\nMSG x 2 0\r\n\r\n"])
        #expect(
            ops == [
                .message(
                    NATSMessage(subject: "nova.conductor", sid: 7, replyTo: "_INBOX.a.1", payload: Array("hello".utf8))),
                .message(NATSMessage(subject: "x", sid: 2, payload: [])),
            ])
    }

    @Test func headersAndTheNoRespondersStatus() throws {
        let headers = "NATS/1.0 503\r\nNats-Subject: nova.compute.h1\r\n\r\n"
        let ops = try parse(["HMSG _INBOX.a.2 3 \(headers.utf8.count) \(headers.utf8.count)\r\n\(headers)\r\n"])
        guard case .message(let message) = ops.first else {
            Issue.record("no message: \(ops)")
            return
        }
        #expect(message.status == 503 && message.payload.isEmpty)
        #expect(message.headers["Nats-Subject"] == "nova.compute.h1")
    }

    @Test func malformedInputIsAnError() {
        #expect(throws: NATSProtocolError.self) { try parse(["BOGUS\r\n"]) }
        #expect(throws: NATSProtocolError.self) { try parse(["MSG a b 1\r\nx\r\n"]) }
        #expect(throws: NATSProtocolError.self) { try parse(["MSG a 1 2\r\nxyz\r\n"]) }
    }

    @Test func clientOperationsAreWrittenAsTheProtocolSays() {
        #expect(
            String(decoding: NATSClientOp.publish("a.b", replyTo: "r", payload: Array("hi".utf8)), as: UTF8.self)
                == "PUB a.b r 2\r\nhi\r\n")
        #expect(String(decoding: NATSClientOp.subscribe("a.*", queue: "q", sid: 4), as: UTF8.self) == "SUB a.* q 4\r\n")
        #expect(String(decoding: NATSClientOp.unsubscribe(sid: 4, after: 1), as: UTF8.self) == "UNSUB 4 1\r\n")
        let hpub = String(
            decoding: NATSClientOp.publish("s", headers: [("K", "V")], payload: Array("x".utf8)), as: UTF8.self)
        #expect(hpub == "HPUB s 18 19\r\nNATS/1.0\r\nK: V\r\n\r\nx\r\n")
    }
}
