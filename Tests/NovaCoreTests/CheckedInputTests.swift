import Foundation
import NovaCore
import Testing

@Suite struct CheckedInputTests {
    @Test(arguments: ["1e308", "18446744073709551616", "9223372036854775808", "-1e308", "1e19"])
    func wholeNumbersBeyondIntAreNilNotATrap(_ text: String) throws {
        let value = try #require(JSON.parse(Array(text.utf8)))
        #expect(value.intValue == nil)
        #expect(throws: NovaError.self) {
            try CheckedInput.integer(value, field: "length", in: 0...Int.max)
        }
    }

    @Test func infinityIsNotJSON() {
        #expect(JSON.parse(Array("1e999999".utf8)) == nil)
        #expect(JSON.parse(Array(#"{"a": -1e999999}"#.utf8)) == nil)
    }

    @Test func outOfRangeNamesTheFieldAndTheBound() throws {
        do {
            _ = try CheckedInput.integer(JSON.int(5_000_000_000), field: "ram", in: 1...CheckedInput.maxDatabaseInteger)
            Issue.record("no error")
        } catch {
            #expect(error.code == .badRequest)
            #expect(error.message.contains("ram"))
            #expect(error.message.contains("greater than the maximum of 2147483647"))
        }
        #expect(try CheckedInput.integer(JSON.string("12"), field: "x", in: 0...20, allowString: true) == 12)
        #expect(throws: NovaError.self) { try CheckedInput.integer(JSON.string("12"), field: "x", in: 0...20) }
        #expect(throws: NovaError.self) {
            try CheckedInput.integer("99999999999999999999", field: "limit", in: 0...Int.max)
        }
        #expect(throws: NovaError.self) { try CheckedInput.integer("1e3", field: "limit", in: 0...Int.max) }
        #expect(throws: NovaError.self) { try CheckedInput.integer("", field: "limit", in: 0...Int.max) }
        #expect(try CheckedInput.integer("-1", field: "offset", in: -1...5) == -1)
        #expect(try CheckedInput.integer(JSON.double(4.0), field: "x", in: 0...5) == 4)
        #expect(throws: NovaError.self) { try CheckedInput.integer(JSON.double(4.5), field: "x", in: 0...5) }
    }

    @Test func textRefusesControlCharacters() throws {
        #expect(throws: NovaError.self) { try CheckedInput.text(.string("a\u{0}b"), field: "name", length: 1...255) }
        #expect(throws: NovaError.self) { try CheckedInput.text(.string(""), field: "name", length: 1...255) }
        #expect(throws: NovaError.self) { try CheckedInput.text(.int(3), field: "name", length: 1...255) }
        #expect(try CheckedInput.text(.string("ünïcode ok"), field: "name", length: 1...255) == "ünïcode ok")
    }

    @Test func arithmeticSaturates() {
        #expect(Int.max.saturatingAdd(1) == .max)
        #expect(Int.min.saturatingAdd(-1) == .min)
        #expect((Int.max / 2).saturatingMultiply(3) == .max)
        #expect((-4).saturatingMultiply(Int.max) == .min)
        #expect(Int(saturating: 1e300) == .max)
        #expect(Int(saturating: -1e300) == .min)
        #expect(Int(saturating: .nan) == 0)
        #expect(Int(saturating: 12.9) == 12)
    }

    @Test func quotaFittingNeverOverflows() throws {
        let limits = QuotaLimits(overrides: ["instances": 10, "cores": -1, "ram": -1])
        let fit = limits.fitting(
            usage: Resources(vcpus: 2, memoryMB: 1024, diskGB: 1), instances: 3,
            adding: Resources(vcpus: 1, memoryMB: 512, diskGB: 1), wanted: Int.max)
        #expect(fit == 7)
        #expect(throws: NovaError.self) {
            try limits.check(
                usage: Resources(vcpus: 0, memoryMB: 0, diskGB: 0), instances: 0,
                adding: Resources(vcpus: Int.max, memoryMB: Int.max, diskGB: 1), count: Int.max)
        }
    }
}

/// The rule in `CheckedInput.swift`, kept: the request-handling modules convert request text and numbers
/// only through `CheckedInput`. A line that must convert otherwise says why with a `// checked:` comment on it
/// or on the line before.
@Suite struct InputRuleTests {
    static let modules = [
        "ComputeAPI", "PlacementAPI", "ImageService", "IdentityService", "APISupport", "ConsoleProxy", "NetworkAPI",
        "NetworkCore", "VolumeAPI", "VolumeCore",
    ]

    @Test func requestModulesConvertOnlyThroughCheckedInput() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        // Conversions that cannot trap by their label (exactly:, clamping:, truncatingIfNeeded:, saturating:) pass.
        let pattern = try Regex(
            #"(^|[^A-Za-z0-9_.])(Int|Int64|Int32|UInt|UInt64|UInt32)\((?!exactly:|clamping:|truncatingIfNeeded:|saturating:)|\.intValue"#
        )
        var offenders: [String] = []
        for module in Self.modules {
            let directory = root.appendingPathComponent(module)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
                $0.hasSuffix(".swift")
            }
            #expect(!files.isEmpty, "no sources found for \(module)")
            for file in files {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                for (number, line) in lines.enumerated()
                where line.contains(pattern) && !line.contains("// checked:")
                    && !(number > 0 && lines[number - 1].contains("// checked:"))
                {
                    offenders.append("\(module)/\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(offenders.isEmpty, "conversions outside CheckedInput:\n\(offenders.joined(separator: "\n"))")
    }
}
