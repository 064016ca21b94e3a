import Foundation

/// Nova's extra-spec operators (nova/scheduler/filters/extra_specs_ops.py): `= N` (at least), `== N`, `!= N`,
/// `>= N`, `<= N`, `s== s`, `s!= s`, `s< s`, `s<= s`, `s> s`, `s>= s`, `<in> s` (substring), `<is> True`,
/// `<or> a <or> b`; anything else is plain string equality.
enum ExtraSpecMatch {
    static func matches(_ value: String, _ requirement: String) -> Bool {
        let words = requirement.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 2 else { return value == requirement }
        let op = words[0]
        let operand = words.dropFirst().joined(separator: " ")
        let number = Double(value)
        let wanted = Double(operand)
        switch op {
        case "=": return number != nil && wanted != nil && number! >= wanted!
        case "==": return number != nil && number == wanted
        case "!=": return number != nil && number != wanted
        case ">=": return number != nil && wanted != nil && number! >= wanted!
        case "<=": return number != nil && wanted != nil && number! <= wanted!
        case "s==": return value == operand
        case "s!=": return value != operand
        case "s<": return value < operand
        case "s<=": return value <= operand
        case "s>": return value > operand
        case "s>=": return value >= operand
        case "<in>": return value.contains(operand)
        case "<is>": return value.lowercased() == operand.lowercased()
        case "<or>":
            let choices = requirement.components(separatedBy: "<or>").map { $0.trimmingCharacters(in: .whitespaces) }
            return choices.contains(value)
        default: return value == requirement
        }
    }
}
