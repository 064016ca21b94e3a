import ArgumentParser
import NovaClientKit
import NovaCore

struct ListServers: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List servers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("all-tenants"), help: "Servers of every project (admin).") var allTenants = false
    @Option(help: "Only servers on this host (admin).") var host: String?
    @Option(help: "Only servers whose name matches this regular expression.") var name: String?
    @Option(help: "Only servers with this status.") var status: String?
    @Option(help: "At most this many servers.") var limit: Int?

    func execute(_ session: Session, _ output: Output) async throws {
        var query: [String] = []
        if allTenants { query.append("all_tenants=1") }
        if let host { query.append("host=\(ServerLookup.encode(host))") }
        if let name { query.append("name=\(ServerLookup.encode(name))") }
        if let status { query.append("status=\(ServerLookup.encode(status))") }
        if let limit { query.append("limit=\(limit)") }
        let path = "/servers/detail" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let servers = try await session.compute(.GET, path)?["servers"]?.arrayValue ?? []
        var columns = ["ID", "Name", "Status", "Task State", "Power State", "Networks"]
        if allTenants { columns.insert("Tenant ID", at: 2) }
        let rows = servers.map { server -> [String] in
            var row = [
                server["id"]?.stringValue ?? "", server["name"]?.stringValue ?? "", server["status"]?.stringValue ?? "",
                server["OS-EXT-STS:task_state"].map(ServerFormat.text) ?? "-",
                ServerFormat.powerState(server["OS-EXT-STS:power_state"]), ServerFormat.networks(server["addresses"]),
            ]
            if allTenants { row.insert(server["tenant_id"]?.stringValue ?? "", at: 2) }
            return row
        }
        output.table(Table(columns: columns, rows: rows))
    }
}

struct ShowServer: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a server.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Name or ID of the server.") var server: String

    func execute(_ session: Session, _ output: Output) async throws {
        let found = try await ServerLookup.find(server, in: session)
        output.table(.properties(ServerFormat.properties(found)))
    }
}

struct BootServer: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "boot", abstract: "Boot a new server.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Name of the new server.") var name: String
    @Option(help: "Flavor name or ID.") var flavor: String
    @Option(help: "Image name or ID.") var image: String
    @Option(name: .customLong("key-name")) var keyName: String?
    @Option(name: .customLong("availability-zone")) var availabilityZone: String?
    @Option(name: .customLong("hint"), help: "Scheduler hint key=value (repeatable).") var hints: [String] = []
    @Option(name: .customLong("min-count")) var minCount: Int?
    @Option(name: .customLong("max-count")) var maxCount: Int?
    @Option(help: "auto or none.") var nic: String = "auto"
    @Flag(help: "Report progress until the server is ACTIVE.") var poll = false

    func execute(_ session: Session, _ output: Output) async throws {
        var server: JSONObject = [
            "name": .string(name), "flavorRef": .string(try await flavorID(flavor, session)),
            "imageRef": .string(try await imageID(image, session)), "networks": .string(nic),
        ]
        if let keyName { server["key_name"] = .string(keyName) }
        if let availabilityZone { server["availability_zone"] = .string(availabilityZone) }
        if let minCount { server["min_count"] = .int(minCount) }
        if let maxCount { server["max_count"] = .int(maxCount) }
        var body: JSONObject = ["server": .object(server)]
        if !hints.isEmpty {
            var object = JSONObject()
            for hint in hints {
                let parts = hint.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw ClientError("--hint takes key=value, not '\(hint)'") }
                object[String(parts[0])] = .string(String(parts[1]))
            }
            body["os:scheduler_hints"] = .object(object)
        }
        let created = try await session.compute(.POST, "/servers", body: .object(body))
        guard let id = created?["server"]?["id"]?.stringValue else {
            throw ClientError("The cloud returned no server id.")
        }
        if poll {
            try await Poller(session: session).wait(
                for: id, targets: ["ACTIVE"], action: "building", report: output.progress)
        }
        output.table(.properties(ServerFormat.properties(try await ServerLookup.find(id, in: session))))
    }
}

/// A flavor by ID or name.
func flavorID(_ nameOrID: String, _ session: Session) async throws -> String {
    if let flavor = try? await session.compute(.GET, "/flavors/\(ServerLookup.encode(nameOrID))")?["flavor"],
        let id = flavor["id"]?.stringValue
    {
        return id
    }
    let flavors = try await session.compute(.GET, "/flavors/detail")?["flavors"]?.arrayValue ?? []
    guard let id = flavors.first(where: { $0["name"]?.stringValue == nameOrID })?["id"]?.stringValue else {
        throw ClientError("No flavor with a name or ID of '\(nameOrID)' exists.")
    }
    return id
}

/// An image by ID or name.
func imageID(_ nameOrID: String, _ session: Session) async throws -> String {
    if let image = try? await session.image(.GET, "/v2/images/\(ServerLookup.encode(nameOrID))"),
        let id = image["id"]?.stringValue
    {
        return id
    }
    let images =
        try await session.image(.GET, "/v2/images?name=\(ServerLookup.encode(nameOrID))")?["images"]?.arrayValue ?? []
    switch images.count {
    case 1: return images[0]["id"]?.stringValue ?? ""
    case 0: throw ClientError("No image with a name or ID of '\(nameOrID)' exists.")
    default: throw ClientError("Multiple images are named '\(nameOrID)'. Use an ID.")
    }
}

/// Commands that send one action to one or more servers.
protocol ServerActionCommand: CloudCommand {
    var servers: [String] { get }
    var actionBody: JSON { get }
    /// What novaclient prints for each server whose request was accepted (only stop and start print).
    var acceptedVerb: String? { get }
}

extension ServerActionCommand {
    var acceptedVerb: String? { nil }

    func execute(_ session: Session, _ output: Output) async throws {
        var failures: [String] = []
        for name in servers {
            do {
                let server = try await ServerLookup.find(name, in: session)
                try await session.compute(.POST, "/servers/\(server["id"]?.stringValue ?? "")/action", body: actionBody)
                if let acceptedVerb { print("Request to \(acceptedVerb) server \(name) has been accepted.") }
            } catch let error as ClientError {
                failures.append("\(name): \(error.description)")
            }
        }
        if !failures.isEmpty { throw ClientError(failures.joined(separator: "\n")) }
    }
}

struct StartServers: ServerActionCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start servers.")
    @OptionGroup var global: GlobalOptions
    @Argument var servers: [String]
    var actionBody: JSON { ["os-start": .null] }
    var acceptedVerb: String? { "start" }
}

struct StopServers: ServerActionCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop servers.")
    @OptionGroup var global: GlobalOptions
    @Argument var servers: [String]
    var actionBody: JSON { ["os-stop": .null] }
    var acceptedVerb: String? { "stop" }
}

struct PauseServers: ServerActionCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause servers.")
    @OptionGroup var global: GlobalOptions
    @Argument var servers: [String]
    var actionBody: JSON { ["pause": .null] }
}

struct UnpauseServers: ServerActionCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause servers.")
    @OptionGroup var global: GlobalOptions
    @Argument var servers: [String]
    var actionBody: JSON { ["unpause": .null] }
}

struct SuspendServers: ServerActionCommand {
    static let configuration = CommandConfiguration(commandName: "suspend", abstract: "Suspend servers.")
    @OptionGroup var global: GlobalOptions
    @Argument var servers: [String]
    var actionBody: JSON { ["suspend": .null] }
}

struct ResumeServers: ServerActionCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume servers.")
    @OptionGroup var global: GlobalOptions
    @Argument var servers: [String]
    var actionBody: JSON { ["resume": .null] }
}

struct LockServers: ServerActionCommand {
    static let configuration = CommandConfiguration(commandName: "lock", abstract: "Lock servers.")
    @OptionGroup var global: GlobalOptions
    @Argument var servers: [String]
    @Option(help: "Why (microversion 2.73+).") var reason: String?
    var actionBody: JSON { ["lock": reason.map { ["locked_reason": .string($0)] } ?? .null] }
}

struct UnlockServers: ServerActionCommand {
    static let configuration = CommandConfiguration(commandName: "unlock", abstract: "Unlock servers.")
    @OptionGroup var global: GlobalOptions
    @Argument var servers: [String]
    var actionBody: JSON { ["unlock": .null] }
}

struct ResetState: ServerActionCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-state", abstract: "Reset the state of servers (admin); error unless --active.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Reset to active instead of error.") var active = false
    @Argument var servers: [String]
    var actionBody: JSON { ["os-resetState": ["state": active ? "active" : "error"]] }
}

struct RebootServer: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "reboot", abstract: "Reboot a server.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Hard reboot (power cycle).") var hard = false
    @Flag(help: "Report progress until the server is ACTIVE.") var poll = false
    @Argument var server: String

    func execute(_ session: Session, _ output: Output) async throws {
        let found = try await ServerLookup.find(server, in: session)
        let id = found["id"]?.stringValue ?? ""
        try await session.compute(.POST, "/servers/\(id)/action", body: ["reboot": ["type": hard ? "HARD" : "SOFT"]])
        if poll {
            try await Poller(session: session).wait(
                for: id, targets: ["ACTIVE"], action: "rebooting", report: output.progress)
        }
    }
}

struct DeleteServers: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete servers.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Wait until each server is gone.") var poll = false
    @Argument var servers: [String]

    func execute(_ session: Session, _ output: Output) async throws {
        for name in servers {
            let id = try await ServerLookup.find(name, in: session)["id"]?.stringValue ?? ""
            try await session.compute(.DELETE, "/servers/\(id)")
            if poll {
                try await Poller(session: session).wait(
                    for: id, targets: [], action: "deleting", deleted: true, report: output.progress)
            }
        }
    }
}

struct InstanceActionList: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "instance-action-list", abstract: "List the actions on a server.")
    @OptionGroup var global: GlobalOptions
    @Argument var server: String

    func execute(_ session: Session, _ output: Output) async throws {
        let id = try await ServerLookup.find(server, in: session)["id"]?.stringValue ?? ""
        let actions =
            try await session.compute(.GET, "/servers/\(id)/os-instance-actions")?["instanceActions"]?.arrayValue ?? []
        output.table(
            Table(
                columns: ["Action", "Request_ID", "Message", "Start_Time", "Updated_At"],
                rows: actions.map { action in
                    ["action", "request_id", "message", "start_time", "updated_at"].map {
                        action[$0].map(ServerFormat.text) ?? "-"
                    }
                }))
    }
}
