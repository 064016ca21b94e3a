import Foundation

/// What a NATS server sends (the client protocol: INFO, MSG, HMSG, PING, PONG, +OK, -ERR).
public enum NATSServerOp: Sendable, Equatable {
    /// The server's INFO, as JSON text.
    case info(String)
    case message(NATSMessage)
    case ping, pong, ok
    case error(String)
}

/// A delivered message. `status` is the code of an HMSG header line such as `NATS/1.0 503` (no responders).
public struct NATSMessage: Sendable, Equatable {
    public var subject: String
    public var sid: UInt64
    public var replyTo: String?
    public var headers: [String: String]
    public var status: Int?
    public var payload: [UInt8]

    public init(
        subject: String, sid: UInt64, replyTo: String? = nil, headers: [String: String] = [:], status: Int? = nil,
        payload: [UInt8]
    ) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.headers = headers
        self.status = status
        self.payload = payload
    }
}

public struct NATSProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A pure parser of the server's byte stream: feed it bytes as they come, take operations out as they are
/// complete. A message split across reads waits for the rest.
public struct NATSParser: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 65_536, start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete operation, nil when more bytes are needed.
    public mutating func next() throws(NATSProtocolError) -> NATSServerOp? {
        guard let lineEnd = Self.find(crlfIn: buffer, from: start) else {
            if buffer.count - start > 1 << 20 { throw NATSProtocolError("control line longer than 1 MiB") }
            return nil
        }
        let line = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let verb = fields.first?.uppercased() else {
            start = lineEnd + 2
            return try next()
        }
        switch verb {
        case "MSG", "HMSG":
            return try message(fields, headers: verb == "HMSG", bodyStart: lineEnd + 2)
        case "INFO":
            start = lineEnd + 2
            return .info(String(line.dropFirst(4)).trimmingCharacters(in: [" ", "\t"]))
        case "PING":
            start = lineEnd + 2
            return .ping
        case "PONG":
            start = lineEnd + 2
            return .pong
        case "+OK":
            start = lineEnd + 2
            return .ok
        case "-ERR":
            start = lineEnd + 2
            return .error(String(line.dropFirst(4)).trimmingCharacters(in: [" ", "\t", "'"]))
        default:
            throw NATSProtocolError("unknown operation \(verb)")
        }
    }

    /// MSG <subject> <sid> [reply-to] <#bytes> / HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
    private mutating func message(_ fields: [String], headers: Bool, bodyStart: Int) throws(NATSProtocolError)
        -> NATSServerOp?
    {
        let counts = headers ? 2 : 1
        guard fields.count == 3 + counts || fields.count == 4 + counts,
            let sid = UInt64(fields[2]), let total = Int(fields[fields.count - 1]), total >= 0
        else { throw NATSProtocolError("malformed \(fields.first ?? "") line") }
        let headerLength = headers ? Int(fields[fields.count - 2]) ?? -1 : 0
        guard headerLength >= 0, headerLength <= total else {
            throw NATSProtocolError("malformed header length in \(fields[0])")
        }
        guard buffer.count >= bodyStart + total + 2 else { return nil }
        let bodyEnd = bodyStart + total
        guard buffer[bodyEnd] == 13, buffer[bodyEnd + 1] == 10 else {
            throw NATSProtocolError("message body not followed by CRLF")
        }
        var message = NATSMessage(
            subject: fields[1], sid: sid, replyTo: fields.count == 4 + counts ? fields[3] : nil,
            payload: Array(buffer[(bodyStart + headerLength)..<bodyEnd]))
        if headers {
            let block = String(decoding: buffer[bodyStart..<(bodyStart + headerLength)], as: UTF8.self)
            try Self.parseHeaders(block, into: &message)
        }
        start = bodyEnd + 2
        return .message(message)
    }

    /// "NATS/1.0[ status[ description]]\r\nKey: Value\r\n...\r\n\r\n"
    static func parseHeaders(_ block: String, into message: inout NATSMessage) throws(NATSProtocolError) {
        var lines = block.components(separatedBy: "\r\n")
        guard let first = lines.first, first.hasPrefix("NATS/1.0") else {
            throw NATSProtocolError("headers do not start with NATS/1.0")
        }
        lines.removeFirst()
        let statusText = first.dropFirst("NATS/1.0".count).trimmingCharacters(in: [" "])
        if let code = statusText.split(separator: " ").first.flatMap({ Int($0) }) { message.status = code }
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw NATSProtocolError("malformed header \(line)") }
            let key = String(line[..<colon])
            message.headers[key] = line[line.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
        }
    }

    static func find(crlfIn bytes: [UInt8], from: Int) -> Int? {
        var index = from
        while index + 1 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }
}

/// What a client sends.
public enum NATSClientOp {
    public static func connect(json: String) -> [UInt8] { Array("CONNECT \(json)\r\n".utf8) }
    public static let ping = Array("PING\r\n".utf8)
    public static let pong = Array("PONG\r\n".utf8)

    public static func publish(_ subject: String, replyTo: String? = nil, payload: [UInt8]) -> [UInt8] {
        var line = "PUB \(subject)"
        if let replyTo { line += " \(replyTo)" }
        var bytes = Array("\(line) \(payload.count)\r\n".utf8)
        bytes += payload
        bytes += [13, 10]
        return bytes
    }

    public static func publish(
        _ subject: String, replyTo: String? = nil, headers: [(String, String)], payload: [UInt8]
    ) -> [UInt8] {
        var block = "NATS/1.0\r\n"
        for (key, value) in headers { block += "\(key): \(value)\r\n" }
        block += "\r\n"
        let header = Array(block.utf8)
        var line = "HPUB \(subject)"
        if let replyTo { line += " \(replyTo)" }
        var bytes = Array("\(line) \(header.count) \(header.count + payload.count)\r\n".utf8)
        bytes += header
        bytes += payload
        bytes += [13, 10]
        return bytes
    }

    public static func subscribe(_ subject: String, queue: String? = nil, sid: UInt64) -> [UInt8] {
        Array("SUB \(subject)\(queue.map { " \($0)" } ?? "") \(sid)\r\n".utf8)
    }

    public static func unsubscribe(sid: UInt64, after max: Int? = nil) -> [UInt8] {
        Array("UNSUB \(sid)\(max.map { " \($0)" } ?? "")\r\n".utf8)
    }
}
