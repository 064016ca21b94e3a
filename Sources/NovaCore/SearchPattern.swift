#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A user's regular expression for a list filter (what Nova hands to the database's REGEXP): POSIX extended
/// syntax with `\d` and `\D` added, found anywhere in the text. The C library's matcher is used because it
/// never backtracks exponentially, whatever the pattern (`(a+)+$` on a long name answers at once, where a
/// backtracking engine would hold a core for minutes); back-references, the one feature that could make it
/// slow, are refused, as is a pattern over 1,000 characters.
public final class SearchPattern: @unchecked Sendable {
    // regexec only reads the compiled pattern (glibc locks inside), so one value serves concurrent requests.
    private var compiled = regex_t()

    /// Nil when the pattern is not a valid one.
    public init?(_ pattern: String) {
        guard pattern.count <= 1000, !Self.hasBackReference(pattern), !pattern.utf8.contains(0) else { return nil }
        let translated = pattern.replacingOccurrences(of: "\\d", with: "[0-9]")
            .replacingOccurrences(of: "\\D", with: "[^0-9]")
        guard regcomp(&compiled, translated, REG_EXTENDED | REG_NOSUB) == 0 else { return nil }
    }

    deinit { regfree(&compiled) }

    public func matches(_ text: String) -> Bool {
        regexec(&compiled, text, 0, nil, 0) == 0
    }

    static func hasBackReference(_ pattern: String) -> Bool {
        var escaped = false
        for character in pattern {
            if escaped, character.isNumber, character != "0" { return true }
            escaped = !escaped && character == "\\"
        }
        return false
    }
}
