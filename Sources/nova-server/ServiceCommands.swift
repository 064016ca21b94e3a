import ArgumentParser
import Foundation
import NovaCloud

/// Options of the one-service-per-process subcommands.
struct ServiceOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help: "This service's host name ([DEFAULT] host): a compute host's name, or which conductor this is.")
    var host: String?

    /// Runs one service of a scale-out deployment until SIGTERM or SIGINT.
    func run(_ role: ServiceRole, configure: (inout CloudOptions) throws -> Void = { _ in }) async throws {
        var options = try common.loadOptions()
        if let host { options.hostname = host }
        try configure(&options)
        let logger = common.makeLogger("nova-\(role.rawValue)")
        let process = try await ServiceProcess.build(role, options: options, logger: logger)
        say(process.summary)
        try await process.run()
    }
}

struct APIService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api", abstract: "Run the identity, image and compute APIs (nova-api) over the shared database.")

    @OptionGroup var service: ServiceOptions

    @Option(name: .long, help: "Address to listen on, HOST:PORT ([DEFAULT] osapi_compute_listen and _port).")
    var listen: String?

    @Option(name: .long, help: "The admin user's password on first start (else $NOVA_ADMIN_PASSWORD).")
    var adminPassword: String?

    func run() async throws {
        try await service.run(.api) { options in
            if let listen { (options.listenHost, options.listenPort) = try parseListen(listen) }
            options.adminPassword = adminPassword ?? ProcessInfo.processInfo.environment["NOVA_ADMIN_PASSWORD"]
        }
    }
}

struct ConductorService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conductor", abstract: "Run a conductor (nova-conductor); several share the work.")
    @OptionGroup var service: ServiceOptions
    func run() async throws { try await service.run(.conductor) }
}

struct SchedulerService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Run a scheduler (nova-scheduler); several share the work.")
    @OptionGroup var service: ServiceOptions
    func run() async throws { try await service.run(.scheduler) }
}

struct ComputeService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compute",
        abstract: "Run one compute host (nova-compute): no database, only the bus, Placement and Glance.")
    @OptionGroup var service: ServiceOptions
    func run() async throws { try await service.run(.compute) }
}

struct NoVNCProxyService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "novncproxy", abstract: "Run the console proxies (nova-novncproxy and the raw VNC proxy).")
    @OptionGroup var service: ServiceOptions
    func run() async throws { try await service.run(.novncproxy) }
}

struct MetadataService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metadata",
        abstract: "Run Nova's metadata API (nova-api-metadata) for the networking service's metadata proxies.")
    @OptionGroup var service: ServiceOptions

    @Option(name: .long, help: "Address to listen on, HOST:PORT ([DEFAULT] metadata_listen and _port).")
    var listen: String?

    func run() async throws {
        try await service.run(.metadata) { options in
            if let listen { (options.metadata.host, options.metadata.port) = try parseListen(listen) }
        }
    }
}

/// HOST:PORT.
func parseListen(_ text: String) throws -> (String, Int) {
    let parts = text.split(separator: ":")
    guard parts.count == 2, let port = Int(parts[1]) else {
        throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:8774")
    }
    return (String(parts[0]), port)
}
