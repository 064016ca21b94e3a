/// An application credential's access rule, as keystonemiddleware applies it: the request's service type
/// and method must be the rule's, and its path must match the rule's pattern, where `*` and `{name}` stand
/// for one path segment and `**` for any number of characters, slashes included.
public struct AccessRule: Sendable, Equatable, Codable {
    public var service: String
    public var path: String
    public var method: String

    public init(service: String, path: String, method: String) {
        self.service = service
        self.path = path
        self.method = method
    }

    public func allows(service: String, method: String, path: String) -> Bool {
        service == self.service && method.uppercased() == self.method && Self.path(path, matches: self.path)
    }

    enum Token: Equatable {
        case literal(UInt8)
        case segment
        case anything
    }

    static func tokens(_ pattern: String) -> [Token] {
        let bytes = Array(pattern.utf8)
        var tokens: [Token] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "*"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                tokens.append(.anything)
                index += 2
            } else if byte == UInt8(ascii: "*") {
                tokens.append(.segment)
                index += 1
            } else if byte == UInt8(ascii: "{"), let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")) {
                tokens.append(.segment)
                index = close + 1
            } else {
                tokens.append(.literal(byte))
                index += 1
            }
        }
        return tokens
    }

    /// Matching by the set of path positions each pattern token can reach: linear in the path per token, so
    /// no pattern can make it slow.
    static func path(_ path: String, matches pattern: String) -> Bool {
        let text = Array(path.utf8)
        var reachable = [Bool](repeating: false, count: text.count + 1)
        reachable[0] = true
        for token in tokens(pattern) {
            var next = [Bool](repeating: false, count: text.count + 1)
            switch token {
            case .literal(let byte):
                for position in 0..<text.count where reachable[position] && text[position] == byte {
                    next[position + 1] = true
                }
            case .segment:
                // One or more characters other than '/'.
                var running = false
                for position in 0..<text.count {
                    if text[position] == UInt8(ascii: "/") {
                        running = false
                        continue
                    }
                    running = running || reachable[position]
                    if running { next[position + 1] = true }
                }
            case .anything:
                var running = false
                for position in 0...text.count {
                    running = running || reachable[position]
                    next[position] = running
                }
            }
            reachable = next
            guard reachable.contains(true) else { return false }
        }
        return reachable[text.count]
    }
}
