/// Splits an OVSDB connection's byte stream into JSON texts: the protocol sends objects back to back, with
/// no delimiter, so the framer follows braces and brackets outside strings. Pure; the connection feeds it
/// what it reads.
public struct OVSDBFramer: Sendable {
    /// The longest message accepted; a larger one is a protocol violation (a peer gone wrong).
    public static let maxMessageBytes = 64 << 20

    private var buffer: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Where the current message started in `buffer` (nil: between messages).
    private var start: Int?
    /// How far `buffer` has been scanned.
    private var scanned = 0

    public init() {}

    public enum FramingError: Error, Equatable {
        case tooLarge
        case unbalanced
    }

    /// The complete JSON texts these bytes finish, in order.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(FramingError) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var messages: [[UInt8]] = []
        while scanned < buffer.count {
            let byte = buffer[scanned]
            defer { scanned += 1 }
            if start == nil {
                // Between messages only whitespace may come.
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    start = scanned
                    depth = 1
                case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                    continue
                default:
                    throw .unbalanced
                }
                continue
            }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                guard depth >= 0 else { throw .unbalanced }
                if depth == 0, let first = start {
                    messages.append(Array(buffer[first...scanned]))
                    start = nil
                }
            default:
                break
            }
        }
        // Keep only the unfinished message.
        if let first = start {
            if first > 0 {
                buffer.removeFirst(first)
                scanned -= first
                start = 0
            }
            guard buffer.count <= Self.maxMessageBytes else { throw .tooLarge }
        } else {
            buffer.removeAll(keepingCapacity: true)
            scanned = 0
        }
        return messages
    }
}
