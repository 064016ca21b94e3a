import ArgumentParser
import NovaClientKit
import NovaCore

/// novaclient's server-group columns; `Policy` and `Rules` from 2.64, `Policies` and `Metadata` before.
func serverGroupColumns(_ session: Session) -> [(String, String)] {
    let modern = APIVersion(parsing: session.settings.computeAPIVersion).map { $0 >= APIVersion(2, 64) } ?? true
    return [("Id", "id"), ("Name", "name"), ("Project Id", "project_id"), ("User Id", "user_id")]
        + (modern
            ? [("Policy", "policy"), ("Rules", "rules"), ("Members", "members")]
            : [("Policies", "policies"), ("Members", "members"), ("Metadata", "metadata")])
}

/// A server group's id from its id or name (names may repeat: ambiguity is an error).
func serverGroupID(_ nameOrID: String, _ session: Session) async throws -> String {
    let groups = try await session.compute(.GET, "/os-server-groups")?["server_groups"]?.arrayValue ?? []
    if groups.contains(where: { $0["id"]?.stringValue == nameOrID }) { return nameOrID }
    let named = groups.filter { $0["name"]?.stringValue == nameOrID }
    guard named.count <= 1 else {
        let ids = named.compactMap { $0["id"]?.stringValue }.joined(separator: ", ")
        throw ClientError("Multiple server groups are named '\(nameOrID)': \(ids). Use an ID.")
    }
    guard let id = named.first?["id"]?.stringValue else {
        throw ClientError("No server group with a name or ID of '\(nameOrID)' exists.")
    }
    return id
}

struct ServerGroupList: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "server-group-list", abstract: "List server groups.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("all-projects"), help: "Every project's groups (admin).") var allProjects = false
    @Option var limit: Int?
    @Option var offset: Int?

    func execute(_ session: Session, _ output: Output) async throws {
        var query: [String] = []
        if allProjects { query.append("all_projects=True") }
        if let limit { query.append("limit=\(limit)") }
        if let offset { query.append("offset=\(offset)") }
        let path = "/os-server-groups" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let groups = try await session.compute(.GET, path)?["server_groups"]?.arrayValue ?? []
        output.table(listTable(groups, serverGroupColumns(session)))
    }
}

struct ServerGroupCreate: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "server-group-create", abstract: "Create a server group with a policy.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Argument(help: "affinity, anti-affinity, soft-affinity or soft-anti-affinity.") var policy: String
    @Option(help: "A rule, e.g. max_server_per_host=2 (anti-affinity, 2.64+).") var rule: [String] = []

    func execute(_ session: Session, _ output: Output) async throws {
        var group: JSONObject = ["name": .string(name)]
        let modern = APIVersion(parsing: session.settings.computeAPIVersion).map { $0 >= APIVersion(2, 64) } ?? true
        if modern {
            group["policy"] = .string(policy)
            var rules = JSONObject()
            for item in rule {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let value = Int(parts[1]) else {
                    throw ClientError("A rule looks like max_server_per_host=2, not '\(item)'.")
                }
                rules[parts[0]] = .int(value)
            }
            if !rules.entries.isEmpty { group["rules"] = .object(rules) }
        } else {
            guard rule.isEmpty else { throw ClientError("Rules need compute API version 2.64 or later.") }
            group["policies"] = [.string(policy)]
        }
        let created = try await session.compute(.POST, "/os-server-groups", body: ["server_group": .object(group)])
        output.table(listTable([created?["server_group"] ?? .null], serverGroupColumns(session)))
    }
}

struct ServerGroupGet: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "server-group-get", abstract: "Show a server group.")
    @OptionGroup var global: GlobalOptions
    @Argument var group: String

    func execute(_ session: Session, _ output: Output) async throws {
        let id = try await serverGroupID(group, session)
        let shown = try await session.compute(.GET, "/os-server-groups/\(id)")
        output.table(listTable([shown?["server_group"] ?? .null], serverGroupColumns(session)))
    }
}

struct ServerGroupDelete: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "server-group-delete", abstract: "Delete one or more server groups.")
    @OptionGroup var global: GlobalOptions
    @Argument var groups: [String]

    func execute(_ session: Session, _ output: Output) async throws {
        for group in groups {
            try await session.compute(.DELETE, "/os-server-groups/\(try await serverGroupID(group, session))")
            if output.format == .table { print("Server group \(group) has been successfully deleted.") }
        }
    }
}
