import NovaCore

/// A policy check string in oslo.policy's language: `@`, `!`, `role:admin`, `rule:admin_api`,
/// `project_id:%(project_id)s`, `is_admin:True`, combined with `and`, `or`, `not` and parentheses.
/// What cannot be parsed denies (as oslo.policy treats a rule it cannot parse).
public indirect enum PolicyCheck: Sendable, Equatable {
    case always, never
    case role(String)
    case rule(String)
    /// `kind:match`: the caller's attribute `kind` equals `match`, a literal or `%(key)s` of the target.
    case generic(kind: String, match: String)
    case not(PolicyCheck)
    case and([PolicyCheck])
    case or([PolicyCheck])

    public init(parsing text: String) {
        var parser = Parser(tokens: Self.tokens(text))
        guard let check = parser.expression(), parser.atEnd else {
            self = text.trimmingCharacters(in: .whitespaces).isEmpty ? .always : .never
            return
        }
        self = check
    }

    /// Words split at white space, with the parentheses that open or close them as words of their own (as
    /// oslo.policy reads them: `%(project_id)s` keeps its own); quotes keep a literal with spaces whole.
    static func tokens(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character.isWhitespace {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                if character == "'" || character == "\"" { quote = character }
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        var tokens: [String] = []
        for word in words {
            var body = Substring(word)
            while body.first == "(" {
                tokens.append("(")
                body = body.dropFirst()
            }
            // The closing parentheses beyond the word's own (`%(key)s`) close groups.
            var closing = 0
            while body.last == ")", body.count { $0 == ")" } > body.count { $0 == "(" } {
                closing += 1
                body = body.dropLast()
            }
            if !body.isEmpty { tokens.append(String(body)) }
            tokens += Array(repeating: ")", count: closing)
        }
        return tokens
    }

    struct Parser {
        let tokens: [String]
        var position = 0

        init(tokens: [String]) { self.tokens = tokens }

        var atEnd: Bool { position == tokens.count }

        mutating func next() -> String? {
            guard position < tokens.count else { return nil }
            defer { position += 1 }
            return tokens[position]
        }

        func peek() -> String? { position < tokens.count ? tokens[position].lowercased() : nil }

        /// or-expression := and-expression ("or" and-expression)*
        mutating func expression() -> PolicyCheck? {
            chain("or", { $0.andExpression() }, PolicyCheck.or)
        }

        /// and-expression := unary ("and" unary)*
        mutating func andExpression() -> PolicyCheck? {
            chain("and", { $0.unary() }, PolicyCheck.and)
        }

        /// Terms joined by `word`: one term as it is, several combined by `make`.
        mutating func chain(
            _ word: String, _ term: (inout Parser) -> PolicyCheck?, _ make: ([PolicyCheck]) -> PolicyCheck
        ) -> PolicyCheck? {
            guard let first = term(&self) else { return nil }
            var terms = [first]
            while peek() == word {
                position += 1
                guard let next = term(&self) else { return nil }
                terms.append(next)
            }
            return terms.count == 1 ? first : make(terms)
        }

        mutating func unary() -> PolicyCheck? {
            guard let token = next() else { return nil }
            switch token.lowercased() {
            case "not": return unary().map(PolicyCheck.not)
            case "(":
                guard let inner = expression(), next() == ")" else { return nil }
                return inner
            case ")", "and", "or": return nil
            default: return PolicyCheck.single(token)
            }
        }
    }

    static func single(_ token: String) -> PolicyCheck? {
        if token == "@" { return .always }
        if token == "!" { return .never }
        guard let colon = token.firstIndex(of: ":") else { return nil }
        let kind = String(token[..<colon])
        let match = String(token[token.index(after: colon)...])
        switch kind {
        case "role": return .role(match.lowercased())
        case "rule": return .rule(match)
        default: return .generic(kind: kind, match: match)
        }
    }
}

/// What a check is asked about: the caller and the target of the call.
public struct PolicyRequest: Sendable {
    public var credentials: Credentials
    public var target: [String: String]

    public init(credentials: Credentials, target: [String: String]) {
        self.credentials = credentials
        self.target = target
    }

    /// The caller's attributes a generic check may name.
    func attribute(_ kind: String) -> String? {
        switch kind {
        case "user_id": credentials.userID
        case "project_id": credentials.systemScope == nil ? credentials.projectID : nil
        case "system_scope": credentials.systemScope
        case "is_admin": credentials.isAdmin ? "True" : "False"
        default: nil
        }
    }

    func matches(kind: String, match: String) -> Bool {
        guard let actual = attribute(kind) else { return false }
        var expected = match
        if expected.hasPrefix("%("), expected.hasSuffix(")s") {
            guard let value = target[String(expected.dropFirst(2).dropLast(2))] else { return false }
            expected = value
        } else if expected.count >= 2, let first = expected.first, first == "'" || first == "\"",
            expected.last == first
        {
            expected = String(expected.dropFirst().dropLast())
        }
        return actual == expected
    }
}
