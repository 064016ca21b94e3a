/// The QMP protocol without I/O: greeting, capabilities negotiation, commands matched to replies by id,
/// events. The connection feeds it messages and carries out the actions it returns.
public struct QMPStateMachine: Sendable {
    public enum State: Equatable, Sendable {
        case awaitingGreeting
        case negotiating
        case ready(QMPGreeting)
        case closed
    }

    public enum Action: Equatable, Sendable {
        /// Write these bytes (one message and its line end).
        case send([UInt8])
        /// Negotiation finished: commands may flow.
        case ready(QMPGreeting)
        case complete(id: Int, Result<QMPValue, QMPError>)
        case event(QMPEvent)
        /// Fail these commands and close the connection.
        case fail(ids: [Int], QMPError)
    }

    public private(set) var state: State = .awaitingGreeting
    private var nextID = 1
    private var pending: Set<Int> = []
    /// Commands issued before negotiation finished, sent once it does.
    private var queued: [[UInt8]] = []
    private var greeting: QMPGreeting?
    static let capabilitiesID = 0

    public init() {}

    /// Issues a command; the returned id names its reply.
    public mutating func command(_ name: String, arguments: [String: QMPValue]? = nil) -> (id: Int, actions: [Action]) {
        let id = nextID
        nextID += 1
        guard state != .closed else { return (id, [.complete(id: id, .failure(.connectionClosed))]) }
        pending.insert(id)
        let bytes = Self.message(name, arguments, id: id)
        if case .ready = state { return (id, [.send(bytes)]) }
        queued.append(bytes)
        return (id, [])
    }

    /// One message from the server.
    public mutating func receive(_ message: QMPValue) -> [Action] {
        switch state {
        case .closed:
            return []
        case .awaitingGreeting:
            guard let greeting = Self.greeting(message) else {
                return close(.protocolViolation("expected the QMP greeting, got \(Self.text(message))"))
            }
            self.greeting = greeting
            state = .negotiating
            return [.send(Self.message("qmp_capabilities", nil, id: Self.capabilitiesID))]
        case .negotiating:
            if let event = Self.event(message) { return [.event(event)] }
            guard message["id"]?.intValue == Self.capabilitiesID, let greeting else {
                return close(.protocolViolation("unexpected message during negotiation: \(Self.text(message))"))
            }
            if let error = Self.error(message) { return close(error) }
            state = .ready(greeting)
            let sends = queued.map(Action.send)
            queued = []
            return [.ready(greeting)] + sends
        case .ready:
            if let event = Self.event(message) { return [.event(event)] }
            guard let id = message["id"]?.intValue, pending.remove(id) != nil else {
                return close(.protocolViolation("a reply to no command: \(Self.text(message))"))
            }
            if let error = Self.error(message) { return [.complete(id: id, .failure(error))] }
            return [.complete(id: id, .success(message["return"] ?? .null))]
        }
    }

    /// A line that is not JSON.
    public mutating func receiveMalformed(_ line: String) -> [Action] {
        close(.protocolViolation("not JSON: \(line.prefix(200))"))
    }

    /// The connection closed: everything outstanding fails.
    public mutating func connectionClosed() -> [Action] {
        guard state != .closed else { return [] }
        return close(.connectionClosed)
    }

    private mutating func close(_ error: QMPError) -> [Action] {
        state = .closed
        let ids = pending.sorted()
        pending = []
        queued = []
        return [.fail(ids: ids, error)]
    }

    static func message(_ name: String, _ arguments: [String: QMPValue]?, id: Int) -> [UInt8] {
        var object: [String: QMPValue] = ["execute": .string(name), "id": .number(Double(id))]
        if let arguments { object["arguments"] = .object(arguments) }
        return QMPValue.object(object).serialized() + [UInt8(ascii: "\n")]
    }

    static func greeting(_ message: QMPValue) -> QMPGreeting? {
        guard let qmp = message["QMP"], let version = qmp["version"] else { return nil }
        let qemu = version["qemu"]
        return QMPGreeting(
            major: qemu?["major"]?.intValue ?? 0, minor: qemu?["minor"]?.intValue ?? 0,
            micro: qemu?["micro"]?.intValue ?? 0, package: version["package"]?.stringValue ?? "",
            capabilities: qmp["capabilities"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    static func event(_ message: QMPValue) -> QMPEvent? {
        guard let name = message["event"]?.stringValue else { return nil }
        var timestamp = 0.0
        if case .number(let seconds)? = message["timestamp"]?["seconds"],
            case .number(let micros)? = message["timestamp"]?["microseconds"]
        {
            timestamp = seconds + micros / 1_000_000
        }
        return QMPEvent(name: name, data: message["data"] ?? .object([:]), timestamp: timestamp)
    }

    static func error(_ message: QMPValue) -> QMPError? {
        guard let error = message["error"] else { return nil }
        return .command(
            errorClass: error["class"]?.stringValue ?? "GenericError", description: error["desc"]?.stringValue ?? "")
    }

    static func text(_ message: QMPValue) -> String {
        String(decoding: message.serialized().prefix(200), as: UTF8.self)
    }
}
