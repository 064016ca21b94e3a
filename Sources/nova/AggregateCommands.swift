import ArgumentParser
import NovaClientKit
import NovaCore

let aggregateColumns = [
    ("Id", "id"), ("Name", "name"), ("Availability Zone", "availability_zone"), ("Hosts", "hosts"),
    ("Metadata", "metadata"),
]

/// An aggregate's id from its id or name.
func aggregateID(_ nameOrID: String, _ session: Session) async throws -> String {
    let list = try await session.compute(.GET, "/os-aggregates")?["aggregates"]?.arrayValue ?? []
    guard
        let match = list.first(where: {
            $0["id"].map(ServerFormat.text) == nameOrID || $0["name"]?.stringValue == nameOrID
        }),
        let id = match["id"].map(ServerFormat.text)
    else { throw ClientError("No aggregate with a name or ID of '\(nameOrID)' exists.") }
    return id
}

/// add_host or remove_host, then the aggregate as it is now.
func aggregateHostAction(_ action: String, _ aggregate: String, _ host: String, _ session: Session, _ output: Output)
    async throws
{
    let id = try await aggregateID(aggregate, session)
    var body = JSONObject()
    body[action] = ["host": .string(host)]
    let result = try await session.compute(.POST, "/os-aggregates/\(id)/action", body: .object(body))
    output.table(listTable([result?["aggregate"] ?? .null], aggregateColumns))
}

struct AggregateList: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate-list", abstract: "List host aggregates (admin).")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ output: Output) async throws {
        output.table(
            listTable(
                try await session.compute(.GET, "/os-aggregates")?["aggregates"]?.arrayValue ?? [], aggregateColumns))
    }
}

struct AggregateCreate: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate-create", abstract: "Create a host aggregate (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Argument(help: "Its availability zone, if any.") var availabilityZone: String?

    func execute(_ session: Session, _ output: Output) async throws {
        var aggregate: JSONObject = ["name": .string(name)]
        if let availabilityZone { aggregate["availability_zone"] = .string(availabilityZone) }
        let created = try await session.compute(.POST, "/os-aggregates", body: ["aggregate": .object(aggregate)])
        output.table(listTable([created?["aggregate"] ?? .null], aggregateColumns))
    }
}

struct AggregateDelete: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate-delete", abstract: "Delete a host aggregate (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var aggregate: String

    func execute(_ session: Session, _ output: Output) async throws {
        try await session.compute(.DELETE, "/os-aggregates/\(try await aggregateID(aggregate, session))")
    }
}

struct AggregateAddHost: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate-add-host", abstract: "Add a host to an aggregate (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var aggregate: String
    @Argument var host: String

    func execute(_ session: Session, _ output: Output) async throws {
        try await aggregateHostAction("add_host", aggregate, host, session, output)
    }
}

struct AggregateRemoveHost: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate-remove-host", abstract: "Remove a host from an aggregate (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var aggregate: String
    @Argument var host: String

    func execute(_ session: Session, _ output: Output) async throws {
        try await aggregateHostAction("remove_host", aggregate, host, session, output)
    }
}

struct AggregateShow: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate-show", abstract: "Show a host aggregate (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var aggregate: String

    func execute(_ session: Session, _ output: Output) async throws {
        let id = try await aggregateID(aggregate, session)
        output.table(
            listTable(
                [try await session.compute(.GET, "/os-aggregates/\(id)")?["aggregate"] ?? .null], aggregateColumns))
    }
}

struct AggregateUpdate: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate-update", abstract: "Rename an aggregate or change its availability zone (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var aggregate: String
    @Option var name: String?
    @Option(name: .customLong("availability-zone")) var availabilityZone: String?

    func execute(_ session: Session, _ output: Output) async throws {
        var update = JSONObject()
        if let name { update["name"] = .string(name) }
        if let availabilityZone { update["availability_zone"] = .string(availabilityZone) }
        guard !update.entries.isEmpty else { throw ClientError("Give --name or --availability-zone.") }
        let id = try await aggregateID(aggregate, session)
        let result = try await session.compute(.PUT, "/os-aggregates/\(id)", body: ["aggregate": .object(update)])
        output.table(listTable([result?["aggregate"] ?? .null], aggregateColumns))
    }
}

struct AggregateSetMetadata: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate-set-metadata", abstract: "Set (key=value) or unset (key) aggregate metadata (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var aggregate: String
    @Argument(help: "key=value to set, key alone to unset.") var metadata: [String]

    func execute(_ session: Session, _ output: Output) async throws {
        guard !metadata.isEmpty else { throw ClientError("Give at least one key=value or key.") }
        let id = try await aggregateID(aggregate, session)
        let result = try await session.compute(
            .POST, "/os-aggregates/\(id)/action", body: ["set_metadata": ["metadata": Self.changes(metadata)]])
        output.table(listTable([result?["aggregate"] ?? .null], aggregateColumns))
    }

    /// `key=value` sets, `key` alone unsets (null), as novaclient reads them.
    static func changes(_ items: [String]) -> JSON {
        var object = JSONObject()
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            object[String(parts[0])] = parts.count == 2 ? .string(String(parts[1])) : .null
        }
        return .object(object)
    }
}
