/// novaclient's tables (prettytable): a header row between rules, one row per item, values left-aligned.
public struct Table: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]]

    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    /// A `Property | Value` table for one object (`nova show`).
    public static func properties(_ pairs: [(String, String)]) -> Table {
        Table(columns: ["Property", "Value"], rows: pairs.map { [$0.0, $0.1] })
    }

    /// The table as text; with `width`, the widest columns are cut (ending in "...") until it fits.
    public func render(width: Int? = nil) -> String {
        var widths = columns.indices.map { index in
            max(columns[index].count, rows.map { Self.cell($0, index).count }.max() ?? 0)
        }
        if let width {
            // Each column costs its width plus 3 (" | "), plus 1 for the final "|".
            while widths.reduce(0, +) + 3 * widths.count + 1 > width,
                let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 8
            {
                widths[widest] -= 1
            }
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
        func line(_ values: [String]) -> String {
            "| " + values.indices.map { Self.fit(values[$0], widths[$0]) }.joined(separator: " | ") + " |"
        }
        var lines = [rule, line(columns), rule]
        for row in rows { lines.append(line(columns.indices.map { Self.cell(row, $0) })) }
        lines.append(rule)
        return lines.joined(separator: "\n")
    }

    static func cell(_ row: [String], _ index: Int) -> String {
        index < row.count ? row[index].replacingOccurrences(of: "\n", with: " ") : ""
    }

    static func fit(_ text: String, _ width: Int) -> String {
        if text.count > width { return String(text.prefix(max(0, width - 3))) + "..." }
        return text + String(repeating: " ", count: width - text.count)
    }
}
