import ArgumentParser
import Foundation
import Logging
import NIOCore
import NovaCloud
import NovaConfig

@main
struct NovaServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nova-server",
        abstract: "OpenStack Compute (Nova) in Swift.",
        subcommands: [
            AllInOne.self, APIService.self, ConductorService.self, SchedulerService.self, ComputeService.self,
            PlacementService.self, NetworkService.self, VolumeService.self, NoVNCProxyService.self,
            MetadataService.self, EC2Service.self, DB.self,
        ])
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "nova.conf to read (oslo.config INI form); repeat it for more files, a later one wins.")
    var config: [String] = []

    @Option(name: .long, help: "Directory for the database, image files and openrc files ([DEFAULT] state_path).")
    var dataDir: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func loadOptions() throws -> CloudOptions {
        // What this process writes (the database, openrc files, images, disks) is for its own user alone.
        umask(0o077)
        MallocTuning.apply()
        let config = try NovaConfig.load(paths: config)
        return try CloudOptions(config: config, dataDirectory: dataDir)
    }

    func makeLogger(_ label: String) -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

struct AllInOne: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run the whole cloud in one process (SQLite, in-process bus, fake hosts).")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8774).")
    var listen: String?

    @Option(name: .long, help: "The admin user's password (else $NOVA_ADMIN_PASSWORD, else generated on first start).")
    var adminPassword: String?

    @Option(name: .long, help: "How many compute hosts to run, each its own compute service.")
    var fakeHosts: Int?

    @Option(name: .long, help: "The virt driver: fake (default) or qemu ([DEFAULT] compute_driver).")
    var computeDriver: String?

    @Option(name: .long, help: "With qemu: a guest qcow2 to register as image nova-guest ([qemu] guest_image).")
    var guestImage: String?

    @Option(name: .long, help: "Port of nova-novncproxy ([vnc] novncproxy_port, default 6080).")
    var novncproxyPort: Int?

    @Option(name: .long, help: "Port of the raw VNC proxy for desktop clients ([vnc] xvpvncproxy_port, default 6081).")
    var rawvncproxyPort: Int?

    func run() async throws {
        var options = try common.loadOptions()
        if let listen { (options.listenHost, options.listenPort) = try parseListen(listen) }
        options.adminPassword = adminPassword ?? ProcessInfo.processInfo.environment["NOVA_ADMIN_PASSWORD"]
        if let fakeHosts {
            guard fakeHosts >= 1 else { throw ValidationError("--fake-hosts must be at least 1") }
            options.fakeHostCount = fakeHosts
        }
        if let computeDriver {
            guard let kind = ComputeDriverKind(rawValue: computeDriver) else {
                throw ValidationError("--compute-driver takes fake or qemu")
            }
            options.computeDriver = kind
        }
        if let guestImage { options.qemu.guestImage = guestImage }
        if let novncproxyPort { options.console.noVNCPort = novncproxyPort }
        if let rawvncproxyPort { options.console.rawPort = rawvncproxyPort }
        try PortCheck.requireFree(
            host: options.console.noVNCHost, port: options.console.noVNCPort, what: "nova-novncproxy",
            flag: "--novncproxy-port ([vnc] novncproxy_port)")
        try PortCheck.requireFree(
            host: options.console.rawHost, port: options.console.rawPort, what: "the raw VNC proxy",
            flag: "--rawvncproxy-port ([vnc] xvpvncproxy_port)")
        let logger = common.makeLogger("nova-server")
        let cloud = try await AllInOneCloud.build(options: options, logger: logger)
        let listener = "\(options.listenerScheme)://\(options.listenHost):\(options.listenPort)"
        let hosts =
            "compute hosts (\(options.computeDriver.rawValue)): \(options.computeHostNames.joined(separator: ", "))"
        if let keystone = options.external.keystone {
            // The genuine Keystone's users and catalog are the operator's: no openrc of this cloud's own.
            say(
                """
                nova-server all-in-one: compute\(options.embeddedImages ? ", image" : ""), placement, networking and block storage on \(listener)
                data directory: \(options.dataDirectory); \(hosts)
                identity: the Keystone at \(keystone.credentials.authURL)\(options.external.glanceURL.map { "; images: the Glance at \($0)" } ?? "")
                """)
        } else {
            let files = try Openrc.write(cloud: cloud)
            say(
                """
                nova-server all-in-one: identity, image and compute on \(listener)
                data directory: \(options.dataDirectory); \(hosts)
                To use the cloud as admin: source \(files[0])
                (the demo user's is \(files[1]); they hold the passwords and only this user may read them)
                """)
        }
        do {
            try await cloud.makeApplication().runService()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ValidationError(
                "cannot listen on \(options.listenHost):\(options.listenPort): the address is in use; choose another with --listen"
            )
        }
    }
}

struct PlacementService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "placement",
        abstract:
            "Run the Placement API alone, at / and /placement ([api] auth_strategy = noauth2 for testing without Keystone)."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8778).")
    var listen: String = "127.0.0.1:8778"

    func run() async throws {
        let options = try common.loadOptions()
        let (host, port) = try parseListen(listen)
        let logger = common.makeLogger("nova-server.placement")
        let app = try await PlacementOnly.makeApplication(options: options, host: host, port: port, logger: logger)
        say(
            "nova-server placement on \(options.listenerScheme)://\(listen)/ (data directory \(options.dataDirectory))"
        )
        try await app.runService()
    }
}

struct NetworkService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Run the networking API (the Neutron v2.0 subset) alone, on the shared database.")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:9696).")
    var listen: String = "127.0.0.1:9696"

    func run() async throws {
        let options = try common.loadOptions()
        let (host, port) = try parseListen(listen)
        let logger = common.makeLogger("nova-server.network")
        let app = try await NetworkOnly.makeApplication(options: options, host: host, port: port, logger: logger)
        say(
            "nova-server network on \(options.listenerScheme)://\(listen)/networking (data directory \(options.dataDirectory))"
        )
        try await app.runService()
    }
}

struct VolumeService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume",
        abstract: "Run the block-storage API (the Cinder v3 subset) and its backend alone, on the shared database.")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8776).")
    var listen: String = "127.0.0.1:8776"

    func run() async throws {
        let options = try common.loadOptions()
        let (host, port) = try parseListen(listen)
        let logger = common.makeLogger("nova-server.volume")
        say(
            "nova-server volume on \(options.listenerScheme)://\(listen)/volume/v3 (data directory \(options.dataDirectory))"
        )
        try await VolumeOnly.run(options: options, host: host, port: port, logger: logger)
    }
}

struct EC2Service: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ec2",
        abstract: "Run the EC2 API alone ([service_user] to reach Keystone's ec2tokens and the other APIs).")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8788).")
    var listen: String = "127.0.0.1:8788"

    func run() async throws {
        let options = try common.loadOptions()
        let (host, port) = try parseListen(listen)
        let logger = common.makeLogger("nova-server.ec2")
        say("nova-server ec2 on \(options.listenerScheme)://\(listen)/ec2 (data directory \(options.dataDirectory))")
        try await EC2Only.run(options: options, host: host, port: port, logger: logger)
    }
}

struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Database management.", subcommands: [Sync.self])

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let options = try common.loadOptions()
            try FileManager.default.createDirectory(atPath: options.dataDirectory, withIntermediateDirectories: true)
            let logger = common.makeLogger("nova-server.db")
            let database = try await NovaDBAccess.open(connection: options.databaseConnection, logger: logger)
            try await database.close()
            print("database \(options.databaseURL ?? options.databasePath ?? "(memory)") is at the newest schema")
        }
    }
}

/// Writes a line to standard output at once (print is block-buffered when stdout is a file).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
