import NovaCore
import Testing

/// Users' list filters as regular expressions: found anywhere, POSIX extended syntax with \d, back-references
/// refused, and patterns that make backtracking engines explode answered by a matcher that does not backtrack.
@Suite struct SearchPatternTests {
    @Test func matchesAnywhereWithAnchorsAndDigitClasses() throws {
        let pattern = try #require(SearchPattern("^web-\\d+$"))
        #expect(pattern.matches("web-12"))
        #expect(!pattern.matches("web-x") && !pattern.matches("a web-1"))
        #expect(try #require(SearchPattern("db")).matches("prod-db-1"))
        #expect(try #require(SearchPattern("[[:digit:]]{3}")).matches("vm123"))
    }

    @Test func refusesInvalidPatternsAndBackReferences() {
        #expect(SearchPattern("(") == nil)
        #expect(SearchPattern("(a)\\1") == nil)
        #expect(SearchPattern(String(repeating: "a", count: 1001)) == nil)
        #expect(SearchPattern("a\\\\1") != nil, "an escaped backslash before a digit is no back-reference")
    }

    @Test func nestedRepetitionOnANearMissEnds() throws {
        let subject = String(repeating: "a", count: 255) + "!"
        for text in ["(a+)+$", "(a|a)*b", "(a|aa)*c", "^(([a-z])+.)+[A-Z]([a-z])+$"] {
            #expect(try #require(SearchPattern(text)).matches(subject) == false)
        }
    }
}
