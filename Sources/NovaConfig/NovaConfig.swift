import Foundation

/// nova.conf in oslo.config's INI form: `[section]` headers, `key = value` lines, `#` and `;` comments.
/// Keys are looked up case-sensitively as oslo does; `[DEFAULT]` is the section named "DEFAULT".
public struct NovaConfig: Sendable, Equatable {
    public struct ParseError: Error, CustomStringConvertible {
        public let line: Int
        public let text: String
        public var description: String { "nova.conf line \(line): cannot parse '\(text)'" }
    }

    public private(set) var sections: [String: [String: String]] = [:]

    public init() {}

    public init(text: String) throws {
        var section = "DEFAULT"
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw ParseError(line: number + 1, text: line) }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw ParseError(line: number + 1, text: line)
            }
            let key = line[..<separator].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw ParseError(line: number + 1, text: line) }
            sections[section, default: [:]][key] = value
        }
    }

    public static func load(path: String) throws -> NovaConfig {
        try NovaConfig(text: String(contentsOfFile: path, encoding: .utf8))
    }

    /// Several files read in order, as oslo's repeated `--config-file`: a key in a later file wins (a host's own
    /// file beside the shared nova.conf, for `host` or `my_ip`).
    public static func load(paths: [String]) throws -> NovaConfig {
        try paths.reduce(NovaConfig()) { config, path in config.overlaid(by: try load(path: path)) }
    }

    /// This configuration with every key of `later` set over it.
    public func overlaid(by later: NovaConfig) -> NovaConfig {
        var merged = self
        for (section, values) in later.sections {
            merged.sections[section, default: [:]].merge(values) { _, new in new }
        }
        return merged
    }

    public subscript(section: String, key: String) -> String? {
        get { sections[section]?[key] }
        set { sections[section, default: [:]][key] = newValue }
    }

    public func string(_ section: String, _ key: String, default value: String) -> String {
        self[section, key] ?? value
    }

    public func int(_ section: String, _ key: String, default value: Int) throws -> Int {
        guard let text = self[section, key] else { return value }
        guard let number = Int(text) else { throw invalid(section, key, text, "an integer") }
        return number
    }

    public func double(_ section: String, _ key: String, default value: Double) throws -> Double {
        guard let text = self[section, key] else { return value }
        guard let number = Double(text) else { throw invalid(section, key, text, "a number") }
        return number
    }

    public func bool(_ section: String, _ key: String, default value: Bool) throws -> Bool {
        guard let text = self[section, key]?.lowercased() else { return value }
        if ["true", "1", "yes", "on"].contains(text) { return true }
        if ["false", "0", "no", "off"].contains(text) { return false }
        throw invalid(section, key, text, "a boolean")
    }

    /// A comma-separated list option.
    public func list(_ section: String, _ key: String, default value: [String]) -> [String] {
        guard let text = self[section, key] else { return value }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func invalid(_ section: String, _ key: String, _ text: String, _ kind: String) -> ConfigError {
        ConfigError(message: "[\(section)] \(key) = \(text) is not \(kind)")
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
