import NovaCore

/// The `query` hint: a JSON expression over host variables, e.g. `[">=", "$free_ram_mb", 1024]`
/// (nova/scheduler/filters/json_filter.py: =, <, >, in, <=, >=, not, or, and).
public struct JsonFilter: HostFilter {
    public let name = "JsonFilter"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool { spec.resolved.query != nil }

    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        guard let text = spec.resolved.query else { return true }
        guard let query = JSON.parse(Array(text.utf8)) else { return false }
        return truthy(evaluate(query, host))
    }

    enum Value: Equatable {
        case number(Double), text(String), bool(Bool), none
    }

    func truthy(_ value: Value) -> Bool {
        switch value {
        case .bool(let flag): flag
        case .number(let number): number != 0
        case .text(let text): !text.isEmpty
        case .none: false
        }
    }

    func variable(_ name: String, _ host: HostState) -> Value {
        switch name {
        case "$free_ram_mb": .number(Double(host.free.memoryMB))
        case "$free_disk_mb": .number(Double(host.free.diskGB * 1024))
        case "$total_usable_ram_mb": .number(Double(host.capacity.memoryMB))
        case "$vcpus_total": .number(Double(host.capacity.vcpus))
        case "$vcpus_used": .number(Double(host.used.vcpus))
        case "$num_instances": .number(Double(host.instanceCount))
        case "$num_io_ops": .number(Double(host.ioOps))
        case "$host": .text(host.host)
        case "$hypervisor_hostname", "$nodename": .text(host.nodename)
        case "$hypervisor_type": .text(host.hypervisorType)
        case "$host_ip": .text(host.hostIP)
        default: .none
        }
    }

    func evaluate(_ node: JSON, _ host: HostState) -> Value {
        switch node {
        case .string(let text): return text.hasPrefix("$") ? variable(text, host) : .text(text)
        case .int(let number): return .number(Double(number))
        case .double(let number): return .number(number)
        case .bool(let flag): return .bool(flag)
        case .array(let items):
            guard case .string(let op)? = items.first else { return .none }
            let args = items.dropFirst().map { evaluate($0, host) }
            return .bool(apply(op, args))
        default: return .none
        }
    }

    func apply(_ op: String, _ args: [Value]) -> Bool {
        switch op {
        case "not": return !args.contains(where: truthy)
        case "or": return args.contains(where: truthy)
        case "and": return !args.isEmpty && args.allSatisfy(truthy)
        case "in": return args.count >= 2 && args.dropFirst().contains(args[0])
        case "=", "<", ">", "<=", ">=":
            guard args.count >= 2 else { return false }
            return zip(args, args.dropFirst()).allSatisfy { compare(op, $0, $1) }
        default: return false
        }
    }

    func compare(_ op: String, _ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.number(let a), .number(let b)): return order(op, a, b)
        case (.text(let a), .text(let b)): return order(op, a, b)
        default: return op == "=" && left == right
        }
    }

    func order<T: Comparable>(_ op: String, _ a: T, _ b: T) -> Bool {
        switch op {
        case "=": a == b
        case "<": a < b
        case ">": a > b
        case "<=": a <= b
        default: a >= b
        }
    }
}
