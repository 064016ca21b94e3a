import ArgumentParser
import Foundation
import NovaClientKit
import NovaCore

@main
struct NovaCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nova",
        abstract: "Command-line client for OpenStack Compute (nova-swift), in the manner of python-novaclient.",
        subcommands: [
            ListServers.self, ShowServer.self, BootServer.self, DeleteServers.self, StartServers.self,
            StopServers.self, RebootServer.self, PauseServers.self, UnpauseServers.self, SuspendServers.self,
            ResumeServers.self, LockServers.self, UnlockServers.self, ResetState.self, InstanceActionList.self,
            ServiceList.self, ServiceDisable.self, ServiceEnable.self, HypervisorList.self, HypervisorShow.self,
            FlavorList.self, FlavorShow.self, FlavorCreate.self, FlavorDelete.self, ImageList.self, KeypairList.self,
            KeypairAdd.self, KeypairDelete.self, QuotaShow.self, QuotaUpdate.self, Limits.self,
            AvailabilityZoneList.self, AggregateList.self, AggregateCreate.self, AggregateDelete.self,
            AggregateAddHost.self, AggregateRemoveHost.self, AggregateShow.self, AggregateUpdate.self,
            AggregateSetMetadata.self, ServerGroupList.self, ServerGroupCreate.self, ServerGroupGet.self,
            ServerGroupDelete.self, MigrateServer.self, ResizeServer.self, ResizeConfirm.self, ResizeRevert.self,
            LiveMigrateServer.self, MigrationList.self, ConsoleLog.self, GetVNCConsole.self,
        ])
}

/// The --os-* flags every command takes (they override the OS_* environment) and the output format.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("os-auth-url")) var authURL: String?
    @Option(name: .customLong("os-username")) var username: String?
    @Option(name: .customLong("os-password")) var password: String?
    @Option(name: .customLong("os-project-name")) var projectName: String?
    @Option(name: .customLong("os-user-domain-name")) var userDomainName: String?
    @Option(name: .customLong("os-project-domain-name")) var projectDomainName: String?
    @Option(name: .customLong("os-cacert")) var cacert: String?
    @Option(name: .customLong("os-compute-api-version")) var computeAPIVersion: String?
    @Flag(name: .customLong("no-token-cache"), help: "Authenticate afresh instead of using the token cache.")
    var noTokenCache = false
    @Option(name: .long, help: "table (default) or json.") var format: OutputFormat = .table

    func settings(environment: [String: String]) -> ClientSettings {
        var settings = ClientSettings(environment: environment)
        if let authURL { settings.authURL = authURL }
        if let username { settings.username = username }
        if let password { settings.password = password }
        if let projectName { settings.projectName = projectName }
        if let userDomainName { settings.userDomainName = userDomainName }
        if let projectDomainName { settings.projectDomainName = projectDomainName }
        if let cacert { settings.cacert = cacert }
        if let computeAPIVersion { settings.computeAPIVersion = computeAPIVersion }
        if noTokenCache { settings.cacheTokens = false }
        return settings
    }
}

enum OutputFormat: String, ExpressibleByArgument, Sendable {
    case table, json
}

/// A command that talks to the cloud: it gets a session and reports failures as one line, exit code 1.
protocol CloudCommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ session: Session, _ output: Output) async throws
}

extension CloudCommand {
    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let output = Output(format: global.format)
        do {
            let session = try Session(
                settings: global.settings(environment: environment),
                cache: TokenCache.standard(environment: environment))
            do {
                try await execute(session, output)
            } catch {
                await session.close()
                throw error
            }
            await session.close()
        } catch let error as ClientError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
    }
}

/// Prints tables (sized to the terminal) or JSON.
struct Output: Sendable {
    let format: OutputFormat

    func table(_ table: Table) {
        switch format {
        case .table:
            print(table.render(width: Self.terminalWidth()))
        case .json:
            let rows: [JSON] = table.rows.map { row in
                var object = JSONObject()
                for (index, column) in table.columns.enumerated() {
                    object.append(column, .string(index < row.count ? row[index] : ""))
                }
                return .object(object)
            }
            print(
                table.columns == ["Property", "Value"]
                    ? JSON.object(JSONObject(dictionaryLiteral: ("properties", .array(rows)))).serialized()
                    : JSON.array(rows).serialized())
        }
    }

    func progress(_ text: String) {
        if format == .table { FileHandle.standardError.write(Data(text.utf8)) }
    }

    /// The terminal's width when standard output is one, else no limit.
    static func terminalWidth() -> Int? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init)
    }
}
