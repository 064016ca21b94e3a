/// The OVSDB JSON-RPC protocol (RFC 7047) without I/O: requests numbered and matched to their responses,
/// the server's `echo` answered, `update`/`update2`/`update3` notifications of monitors delivered. The
/// connection feeds it messages and carries out the actions it returns.
public struct OVSDBStateMachine: Sendable {
    public enum Action: Equatable, Sendable {
        /// Write these bytes (one JSON text).
        case send([UInt8])
        case complete(id: Int, Result<OVSDBValue, OVSDBError>)
        /// A monitor's changes: its id (the `json-value` given when it was set up) and the table updates.
        case update(monitor: OVSDBValue, method: String, tables: OVSDBValue)
        /// Fail these requests and close the connection.
        case fail(ids: [Int], OVSDBError)
    }

    public private(set) var isClosed = false
    private var nextID = 1
    private var pending: Set<Int> = []

    public init() {}

    /// Issues a request; the returned id names its response.
    public mutating func request(_ method: String, _ params: [OVSDBValue]) -> (id: Int, actions: [Action]) {
        let id = nextID
        nextID += 1
        guard !isClosed else { return (id, [.complete(id: id, .failure(.connectionClosed))]) }
        pending.insert(id)
        let message: OVSDBValue = ["method": .string(method), "params": .array(params), "id": .integer(Int64(id))]
        return (id, [.send(message.serialized())])
    }

    /// One message from the server.
    public mutating func receive(_ message: OVSDBValue) -> [Action] {
        guard !isClosed else { return [] }
        guard message.objectValue != nil else {
            return close(.protocolViolation("not an object: \(Self.text(message))"))
        }
        if let method = message["method"]?.stringValue {
            let params = message["params"]?.arrayValue ?? []
            switch method {
            case "echo":
                let reply: OVSDBValue = ["result": .array(params), "error": .null, "id": message["id"] ?? .null]
                return [.send(reply.serialized())]
            case "update", "update2", "update3":
                guard params.count >= 2 else {
                    return close(.protocolViolation("an \(method) without its tables: \(Self.text(message))"))
                }
                return [.update(monitor: params[0], method: method, tables: params[params.count - 1])]
            default:
                // locked, stolen and notifications this client never asked for.
                return []
            }
        }
        guard let number = message["id"]?.integerValue, let id = Int(exactly: number), pending.remove(id) != nil else {
            return close(.protocolViolation("a response to no request: \(Self.text(message))"))
        }
        if let error = message["error"], error != .null {
            let text = error.stringValue ?? error["error"]?.stringValue ?? Self.text(error)
            let details = message["details"]?.stringValue ?? error["details"]?.stringValue ?? ""
            return [.complete(id: id, .failure(.rpc(error: text, details: details)))]
        }
        return [.complete(id: id, .success(message["result"] ?? .null))]
    }

    /// Bytes that are not JSON, or a stream the framer could not split.
    public mutating func receiveMalformed(_ why: String) -> [Action] {
        close(.protocolViolation(why))
    }

    /// The connection closed: every outstanding request fails.
    public mutating func connectionClosed() -> [Action] {
        guard !isClosed else { return [] }
        return close(.connectionClosed)
    }

    private mutating func close(_ error: OVSDBError) -> [Action] {
        isClosed = true
        let ids = pending.sorted()
        pending = []
        return [.fail(ids: ids, error)]
    }

    static func text(_ value: OVSDBValue) -> String {
        String(decoding: value.serialized().prefix(200), as: UTF8.self)
    }
}
