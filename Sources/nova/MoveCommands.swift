import ArgumentParser
import Foundation
import NovaClientKit
import NovaCore

/// Sends one action to a server found by name or ID and, with --poll, waits for one of `targets`.
func serverAction(
    _ server: String, _ body: JSON, _ session: Session, _ output: Output, poll: Bool, targets: Set<String>,
    doing: String
) async throws {
    let id = try await ServerLookup.find(server, in: session)["id"]?.stringValue ?? ""
    try await session.compute(.POST, "/servers/\(id)/action", body: body)
    if poll {
        try await Poller(session: session).wait(for: id, targets: targets, action: doing, report: output.progress)
    }
}

struct MigrateServer: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Migrate a server to another host; it then awaits resize-confirm.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Destination host (admin, microversion 2.56+).") var host: String?
    @Flag(help: "Report progress until the migration finished.") var poll = false
    @Argument var server: String

    var body: JSON { ["migrate": host.map { ["host": .string($0)] } ?? .null] }

    func execute(_ session: Session, _ output: Output) async throws {
        try await serverAction(
            server, body, session, output, poll: poll, targets: ["VERIFY_RESIZE", "ACTIVE", "SHUTOFF"],
            doing: "migrating")
    }
}

struct ResizeServer: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "resize", abstract: "Resize a server to another flavor; it then awaits resize-confirm.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Report progress until the resize finished.") var poll = false
    @Argument var server: String
    @Argument(help: "Name or ID of the new flavor.") var flavor: String

    func execute(_ session: Session, _ output: Output) async throws {
        let flavorRef = try await flavorID(flavor, session)
        try await serverAction(
            server, ["resize": ["flavorRef": .string(flavorRef)]], session, output, poll: poll,
            targets: ["VERIFY_RESIZE"], doing: "resizing")
    }
}

struct ResizeConfirm: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "resize-confirm", abstract: "Confirm a previous resize or migration.")
    @OptionGroup var global: GlobalOptions
    @Argument var server: String

    func execute(_ session: Session, _ output: Output) async throws {
        try await serverAction(
            server, ["confirmResize": .null], session, output, poll: false, targets: [], doing: "confirming")
    }
}

struct ResizeRevert: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "resize-revert", abstract: "Revert a previous resize or migration (back to the old host).")
    @OptionGroup var global: GlobalOptions
    @Argument var server: String

    func execute(_ session: Session, _ output: Output) async throws {
        try await serverAction(
            server, ["revertResize": .null], session, output, poll: false, targets: [], doing: "reverting")
    }
}

struct LiveMigrateServer: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "live-migration", abstract: "Move a running server to another host without stopping it.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("block-migrate"), help: "Copy the disks too (default: decided by the cloud).")
    var blockMigrate = false
    @Flag(help: "Report progress until the server is ACTIVE again.") var poll = false
    @Argument var server: String
    @Argument(help: "Destination host (admin); the scheduler picks one when omitted.") var host: String?

    /// novaclient from 2.25: block_migration "auto" unless --block-migrate.
    var body: JSON {
        ["os-migrateLive": ["host": host.map(JSON.string) ?? .null, "block_migration": blockMigrate ? true : "auto"]]
    }

    func execute(_ session: Session, _ output: Output) async throws {
        try await serverAction(
            server, body, session, output, poll: poll, targets: ["ACTIVE", "PAUSED"], doing: "migrating")
    }
}

struct MigrationList: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "migration-list", abstract: "List migrations (admin or project manager).")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("instance-uuid"), help: "Only this server's.") var instanceUUID: String?
    @Option(help: "Only those from or to this host.") var host: String?
    @Option(help: "Only those in this status.") var status: String?
    @Option(name: .customLong("migration-type"), help: "migration, resize, live-migration or evacuation.")
    var migrationType: String?
    @Option(help: "At most this many.") var limit: Int?

    func execute(_ session: Session, _ output: Output) async throws {
        var query: [(String, String)] = []
        if let instanceUUID { query.append(("instance_uuid", instanceUUID)) }
        if let host { query.append(("host", host)) }
        if let status { query.append(("status", status)) }
        if let migrationType { query.append(("migration_type", migrationType)) }
        if let limit { query.append(("limit", String(limit))) }
        let text = query.map { "\($0.0)=\(ServerLookup.encode($0.1))" }.joined(separator: "&")
        let list =
            try await session.compute(.GET, "/os-migrations" + (text.isEmpty ? "" : "?" + text))?["migrations"]?
            .arrayValue ?? []
        output.table(
            listTable(
                list,
                [
                    ("Id", "id"), ("UUID", "uuid"), ("Source Node", "source_node"), ("Dest Node", "dest_node"),
                    ("Source Compute", "source_compute"), ("Dest Compute", "dest_compute"),
                    ("Dest Host", "dest_host"), ("Status", "status"), ("Server UUID", "instance_uuid"),
                    ("Old Flavor", "old_instance_type_id"), ("New Flavor", "new_instance_type_id"),
                    ("Created At", "created_at"), ("Updated At", "updated_at"), ("Type", "migration_type"),
                ]))
    }
}

struct ConsoleLog: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-log", abstract: "Print the server's console output.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only the last N lines.") var length: Int?
    @Argument var server: String

    func execute(_ session: Session, _ output: Output) async throws {
        let id = try await ServerLookup.find(server, in: session)["id"]?.stringValue ?? ""
        let reply = try await session.compute(
            .POST, "/servers/\(id)/action",
            body: ["os-getConsoleOutput": ["length": length.map(JSON.int) ?? .null]])
        let text = reply?["output"]?.stringValue ?? ""
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") || text.isEmpty ? text : text + "\n").utf8))
    }
}

struct GetVNCConsole: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-vnc-console", abstract: "Get a URL for the server's VNC console.")
    @OptionGroup var global: GlobalOptions
    @Argument var server: String
    @Argument(help: "novnc (a browser page) or xvpvnc (the raw VNC proxy).") var consoleType: String

    func execute(_ session: Session, _ output: Output) async throws {
        guard ["novnc", "xvpvnc"].contains(consoleType) else {
            throw ClientError("Invalid console type '\(consoleType)': use novnc or xvpvnc.")
        }
        let id = try await ServerLookup.find(server, in: session)["id"]?.stringValue ?? ""
        let reply = try await session.compute(
            .POST, "/servers/\(id)/remote-consoles",
            body: ["remote_console": ["protocol": "vnc", "type": .string(consoleType)]])
        let console = reply?["remote_console"] ?? .null
        output.table(listTable([console], [("Type", "type"), ("Url", "url")]))
    }
}
