import Foundation
import NovaConfig
import NovaCore

/// One rule a service registers: its check, the check it replaced (still honoured beside the new one unless
/// `[oslo_policy] enforce_new_defaults`), and the token scopes it is meant for.
public struct PolicyDefault: Sendable {
    public var name: String
    public var check: String
    public var deprecatedCheck: String?
    public var scopeTypes: [String]

    public init(_ name: String, _ check: String, deprecated: String? = nil, scopeTypes: [String] = []) {
        self.name = name
        self.check = check
        self.deprecatedCheck = deprecated
        self.scopeTypes = scopeTypes
    }
}

/// `[oslo_policy]`: `enforce_new_defaults`, `enforce_scope` (both true by default, as in oslo.policy today) and
/// `policy_file`, whose rules replace the defaults of the same name.
public struct PolicyOptions: Sendable, Equatable {
    public var enforceNewDefaults = true
    public var enforceScope = true
    public var policyFile: String?

    public init(enforceNewDefaults: Bool = true, enforceScope: Bool = true, policyFile: String? = nil) {
        self.enforceNewDefaults = enforceNewDefaults
        self.enforceScope = enforceScope
        self.policyFile = policyFile
    }
}

/// oslo.policy's enforcement over a service's registered defaults and the operator's overrides.
public struct PolicyEnforcer: Sendable {
    let rules: [String: PolicyCheck]
    let scopes: [String: [String]]
    let options: PolicyOptions

    public init(defaults: [PolicyDefault], options: PolicyOptions) throws {
        let overrides = try options.policyFile.map(Self.readRules) ?? [:]
        var rules: [String: PolicyCheck] = [:]
        var scopes: [String: [String]] = [:]
        for rule in defaults {
            scopes[rule.name] = rule.scopeTypes
            if let deprecated = rule.deprecatedCheck, !options.enforceNewDefaults {
                // A rule that changed its default still lets in whom the old default let in.
                rules[rule.name] = .or([PolicyCheck(parsing: rule.check), PolicyCheck(parsing: deprecated)])
            } else {
                rules[rule.name] = PolicyCheck(parsing: rule.check)
            }
        }
        for (name, check) in overrides { rules[name] = PolicyCheck(parsing: check) }
        self.rules = rules
        self.scopes = scopes
        self.options = options
    }

    /// Whether the caller may do `action` on `target`: the token's scope must be one the rule is for (when
    /// scopes are enforced), and the rule must pass.
    public func allows(_ action: String, _ request: PolicyRequest) -> Bool {
        if options.enforceScope, let types = scopes[action], !types.isEmpty {
            let scope = request.credentials.systemScope == nil ? "project" : "system"
            guard types.contains(scope) else { return false }
        }
        return evaluate(rules[action] ?? .never, request, depth: 0)
    }

    func evaluate(_ check: PolicyCheck, _ request: PolicyRequest, depth: Int) -> Bool {
        guard depth < 32 else { return false }
        switch check {
        case .always: return true
        case .never: return false
        case .role(let role): return request.credentials.hasRole(role)
        case .rule(let name): return rules[name].map { evaluate($0, request, depth: depth + 1) } ?? false
        case .generic(let kind, let match): return request.matches(kind: kind, match: match)
        case .not(let inner): return !evaluate(inner, request, depth: depth)
        case .and(let terms): return terms.allSatisfy { evaluate($0, request, depth: depth) }
        case .or(let terms): return terms.contains { evaluate($0, request, depth: depth) }
        }
    }

    /// A policy file: JSON, or YAML of `"name": "check"` lines (what oslo.policy's files hold).
    static func readRules(_ path: String) throws -> [String: String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(message: "[oslo_policy] policy_file \(path) cannot be read: \(error)")
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else {
                throw ConfigError(message: "[oslo_policy] policy_file \(path): not an object of rule strings")
            }
            return object
        }
        var rules: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line == "---" { continue }
            guard let (name, check) = Self.yamlPair(line) else {
                throw ConfigError(
                    message: "[oslo_policy] policy_file \(path) line \(number + 1): not \"name\": \"check\"")
            }
            rules[name] = check
        }
        return rules
    }

    /// `"name": "check"`, `name: check` or `'name': 'check'` (a plain name may hold colons: rule names do).
    static func yamlPair(_ line: String) -> (String, String)? {
        var rest = Substring(line)
        guard let name = scalar(&rest, until: ": "), rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        guard let check = scalar(&rest, until: " #"), rest.isEmpty || rest.hasPrefix(" #") || rest.hasPrefix("#") else {
            return nil
        }
        return (name, check)
    }

    static func scalar(_ text: inout Substring, until stop: String) -> String? {
        if let quote = text.first, quote == "\"" || quote == "'" {
            let body = text.dropFirst()
            guard let end = body.firstIndex(of: quote) else { return nil }
            text = body[body.index(after: end)...].drop { $0 == " " }
            return String(body[..<end])
        }
        var end = text.range(of: stop)?.lowerBound ?? text.endIndex
        if end == text.endIndex, stop == ": ", text.hasSuffix(":") { end = text.index(before: text.endIndex) }
        let value = text[..<end].trimmingCharacters(in: .whitespaces)
        text = text[end...]
        return value
    }
}
