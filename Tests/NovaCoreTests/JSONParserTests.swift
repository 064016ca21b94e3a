import NovaCore
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) -> JSON? { JSON.parse(Array(text.utf8)) }

    @Test func repeatedKeyKeepsItsFirstPlaceAndLastValue() throws {
        let object = try #require(parse(#"{"a": 1, "b": 2, "a": 3}"#)?.objectValue)
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == .int(3))
    }

    @Test func keysKeepTheirOrder() throws {
        let keys = (0..<200).map { "k\($0)" }
        let text = "{" + keys.map { "\"\($0)\": \"\($0)\"" }.joined(separator: ", ") + "}"
        let object = try #require(parse(text)?.objectValue)
        #expect(object.keys == keys)
        #expect(object["k150"] == .string("k150"))
    }

    @Test func escapesAndMultibyteTextTogether() {
        #expect(parse(#""caf\u00e9 \"é\" \\ \/ \n\t""#) == .string("café \"é\" \\ / \n\t"))
        #expect(parse(#""plain ünïcode""#) == .string("plain ünïcode"))
        #expect(parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    /// A high surrogate not followed by a low one is U+FFFD and what follows is read on its own (it used to
    /// subtract past zero and trap).
    @Test(arguments: [#""\ud800\u0041""#, #""\ud800A""#, #""\ud800""#, #""\udc00\u0041""#])
    func loneSurrogatesAreReplaced(_ text: String) throws {
        let value = try #require(parse(text)?.stringValue)
        #expect(value.unicodeScalars.first == "\u{FFFD}")
        #expect(value.count <= 2)
    }

    @Test(arguments: [
        #""\u00g1""#, #""\u12""#, #""\x""#, "\"a\u{01}b\"", #""unterminated"#, #""\"#,
        #"{"a" 1}"#, #"{"a": 1,}"#, "[1, 2", #""\u+123""#,
    ])
    func malformedIsNil(_ text: String) {
        #expect(parse(text) == nil)
    }

    @Test func invalidUTF8AroundAnEscapeIsNil() {
        // A lead byte whose continuation is an escape's bytes is not UTF-8.
        #expect(JSON.parse([0x22, 0xC3] + Array(#"\u00a9""#.utf8)) == nil)
    }
}
