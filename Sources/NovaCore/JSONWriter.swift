/// Writes JSON straight to bytes, for large responses where building a `JSON` tree first would cost more
/// than the writing (Placement's allocation candidates). Commas are placed by the writer.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    private mutating func separate() {
        if needsComma { bytes.append(contentsOf: ", ".utf8) }
        needsComma = true
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An object key; the next value written is its value.
    public mutating func key(_ name: String) {
        separate()
        JSON.writeString(name, into: &bytes)
        bytes.append(contentsOf: ": ".utf8)
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        JSON.writeString(value, into: &bytes)
    }

    public mutating func int(_ value: Int) {
        separate()
        JSON.writeInt(value, into: &bytes)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    public mutating func value(_ json: JSON) {
        separate()
        json.write(into: &bytes)
    }

    /// Hands over what is written so far and goes on in the same (emptied) buffer: a large answer can be
    /// sent as pieces instead of one block as large as itself.
    public mutating func drain(_ take: ([UInt8]) -> Void) {
        take(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// A value written before, as its bytes.
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
    }

    /// `"name": value` pairs of string -> int, in key order.
    public mutating func intObject(_ values: [String: Int]) {
        beginObject()
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            key(name)
            int(value)
        }
        endObject()
    }

    public mutating func stringArray(_ values: some Sequence<String>) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }
}
