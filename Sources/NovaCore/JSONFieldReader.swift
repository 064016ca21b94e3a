/// Reads a few fields of many objects of one shape (the servers of a listing): where each key was found in
/// the last object is looked at first, so a field costs one comparison instead of a search through the
/// object's keys. Objects are expected to hold each key once, as parsed and built objects do.
public struct JSONFieldReader {
    public let keys: [String]
    var positions: [Int]

    public init(_ keys: [String]) {
        self.keys = keys
        positions = Array(repeating: 0, count: keys.count)
    }

    /// The values of `keys` in `object`, in the order of `keys` (nil where the object has no such key).
    public mutating func values(in object: JSONObject) -> [JSON?] {
        let entries = object.entries
        var values: [JSON?] = []
        values.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() {
            let guess = positions[index]
            if guess < entries.count, entries[guess].0 == key {
                values.append(entries[guess].1)
            } else if let found = entries.firstIndex(where: { $0.0 == key }) {
                positions[index] = found
                values.append(entries[found].1)
            } else {
                values.append(nil)
            }
        }
        return values
    }
}
