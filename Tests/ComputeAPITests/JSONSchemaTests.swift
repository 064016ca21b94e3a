import APISupport
import Foundation
import NovaCore
import Testing

@Suite struct JSONSchemaTests {
    let inventory = JSONSchema.object(
        [
            "total": .integer(minimum: 1, maximum: 2_147_483_647), "ratio": .number(maximum: 10),
            "name": .string(minLength: 1, maxLength: 3, pattern: "^[A-Z]+$"),
            "ids": .array(.string(format: "uuid"), uniqueItems: true),
            "parent": .anyOf([.string(format: "uuid"), .null]),
        ], required: ["total"])

    func message(_ body: JSON) -> String? { inventory.violation(of: body)?.message }

    @Test func theMessagesAreJSONSchemas() {
        #expect(message(["total": 1]) == nil)
        #expect(message([:]) == "'total' is a required property")
        #expect(message(["total": 0]) == "0 is less than the minimum of 1")
        #expect(message(["total": 2_147_483_648]) == "2147483648 is greater than the maximum of 2147483647")
        #expect(message(["total": "x"]) == "'x' is not of type 'integer'")
        #expect(message(["total": 1, "ratio": .double(11.5)]) == "11.5 is greater than the maximum of 10")
        #expect(message(["total": 1, "name": ""]) == "'' should be non-empty")
        #expect(message(["total": 1, "name": "ABCD"]) == "'ABCD' is too long")
        #expect(message(["total": 1, "name": "ab"]) == "'ab' does not match '^[A-Z]+$'")
        #expect(message(["total": 1, "ids": ["x"]]) == "'x' is not a 'uuid'")
        #expect(message(["total": 1, "ids": ["a", "a"]]) == "['a', 'a'] has non-unique elements")
        #expect(
            message(["total": 1, "b": 1, "a": 2]) == "Additional properties are not allowed ('a', 'b' were unexpected)")
        #expect(message(["total": 1, "parent": "nope"]) == "'nope' is not a 'uuid'")
        #expect(message(["total": 1, "parent": 5]) == "5 is not valid under any of the given schemas")
        #expect(message(["total": 1, "parent": .null]) == nil)
    }

    @Test func theShallowestViolationWins() {
        let violation = inventory.violation(of: ["name": "lower"])
        #expect(violation?.keyword == "required")
        let deep = inventory.violation(of: ["total": 0])
        #expect(
            deep?.description.hasPrefix(
                "0 is less than the minimum of 1\n\nFailed validating 'minimum' in schema['properties']['total']:")
                == true)
        #expect(deep?.description.hasSuffix("On instance['total']:\n    0") == true)
    }
}

@Suite struct SchemaPatternTests {
    @Test func simplePatternsMatchAsTheRegularExpressionEngineDoes() throws {
        let patterns = [
            "^[A-Z0-9_]+$", "^CUSTOM_[A-Z0-9_]+$", "^[0-9a-fA-F-]{36}$", "^[a-z]{2,3}$", "^[1-9][0-9]*$",
            "^resources([1-9][0-9]*)?$", "[a-zA-Z0-9_-]{1,64}",
        ]
        let texts = [
            "", "VCPU", "vcpu", "CUSTOM_", "CUSTOM_X1", "custom_x", "DISK GB", "12", "0", "ab", "abcd",
            "7f1cd4f0-8d4d-4b1c-9b2e-6f5f1f3f2a11", "7f1cd4f08d4d4b1c9b2e6f5f1f3f2a11", "resources", "resources12",
            "résumé", "A\u{0}B",
        ]
        for pattern in patterns {
            let engine = try NSRegularExpression(pattern: pattern)
            let schema = SchemaPattern(pattern)
            for text in texts {
                let expected = engine.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                #expect(schema.matches(text) == expected, "\(pattern) on \(text)")
            }
        }
    }
}
