import NovaCore
import Testing

@Suite struct JSONFieldReaderTests {
    @Test func readsFieldsOfObjectsOfOneShapeAndOfOthers() {
        var reader = JSONFieldReader(["b", "missing", "a"])
        let first: JSONObject = ["a": 1, "b": "x", "c": true]
        #expect(reader.values(in: first) == [.string("x"), nil, .int(1)])
        // The same shape: found where they were.
        #expect(reader.values(in: ["a": 2, "b": "y", "c": false]) == [.string("y"), nil, .int(2)])
        // Another order, fewer keys, a key that now exists: each is still found, and only it.
        #expect(reader.values(in: ["missing": .null, "a": 3]) == [nil, .null, .int(3)])
        #expect(reader.values(in: ["b": "z"]) == [.string("z"), nil, nil])
        #expect(reader.values(in: JSONObject()) == [nil, nil, nil])
    }
}
