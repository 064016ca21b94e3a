import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NovaCore

/// Benchmarks the all-in-one through its HTTP API, as a client sees it: starts the real `nova-server`,
/// boots servers with the fake driver and measures. Prints one line per figure and writes them as JSON.
@main
struct NovaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nova-bench", abstract: "Benchmarks of nova-server.",
        subcommands: [
            ComputeBench.self, PlacementBench.self, NetworkBench.self, SchedulerBench.self, QEMUBench.self,
            NATSBench.self, VolumeBench.self, VolumeQEMUBench.self, EC2Bench.self,
        ],
        defaultSubcommand: ComputeBench.self
    )
}

/// Boots servers through the compute API and times server lists, cold start and memory.
struct ComputeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compute", abstract: "The all-in-one through its API.")

    @Option(help: "How many servers to boot.") var servers = 500
    @Option(help: "Concurrent API clients during the boot.") var concurrency = 8
    @Option(help: "Fake compute hosts.") var fakeHosts = 4
    @Option(help: "Requests per latency figure.") var samples = 100
    @Option(help: "The nova-server binary (default: beside this one).") var serverBinary: String?
    @Option(help: "Where to write the figures as JSON.") var output = "bench-results.json"
    @Option(help: "Measure a running cloud at this URL instead (e.g. a scale-out deployment's API).") var url: String?
    @Option(help: "With --url: the admin password.") var adminPassword = "bench"

    func run() async throws {
        if let url {
            try await measure(baseURL: url, server: nil)
            return
        }
        let binary =
            serverBinary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("nova-server").path
        let server = try await BenchServer.start(binary: binary, fakeHosts: fakeHosts)
        do {
            try await measure(baseURL: server.baseURL, server: server)
        } catch {
            server.stop()
            throw error
        }
        server.stop()
    }

    /// The figures of the cloud at `baseURL`; the process ones (start, memory) when it is ours.
    func measure(baseURL: String, server: BenchServer?) async throws {
        var figures = Figures()
        if let server {
            figures.add("cold_start_to_first_200", server.coldStart * 1000, "ms")
            try await Task.sleep(for: .seconds(2))
            figures.add("idle_rss", Double(server.rssKiB()) / 1024, "MiB")
        }

        let api = try await BenchClient(baseURL: baseURL, password: adminPassword)
        try await api.unlimitedQuota()
        let image = try await api.defaultImage()

        let bootStart = ContinuousClock.now
        try await inParallel(servers, workers: concurrency) { index in
            try await api.createServer(name: "bench-\(index)", image: image)
        }
        let accepted = ContinuousClock.now - bootStart
        figures.add("create_requests_per_second", Double(servers) / accepted.seconds, "requests/s")
        while try await api.count(status: "ACTIVE") < servers {
            try await Task.sleep(for: .milliseconds(20))
        }
        let active = ContinuousClock.now - bootStart
        figures.add("boot_\(servers)_to_active", Double(servers) / active.seconds, "servers/s")
        figures.add("errors_after_boot", Double(try await api.count(status: "ERROR")), "servers")

        for (name, path) in [
            ("servers_detail_\(servers)", "/compute/v2.1/servers/detail"),
            ("servers_detail_limit_100", "/compute/v2.1/servers/detail?limit=100"),
        ] {
            var latencies: [Double] = []
            for _ in 0..<samples {
                let start = ContinuousClock.now
                _ = try await api.fetch(path)
                latencies.append((ContinuousClock.now - start).seconds * 1000)
            }
            latencies.sort()
            figures.add("\(name)_p50", latencies[latencies.count / 2], "ms")
            figures.add("\(name)_p95", latencies[latencies.count * 95 / 100], "ms")
        }
        if let server { figures.add("rss_after_\(servers)_servers", Double(server.rssKiB()) / 1024, "MiB") }
        await api.shutdown()
        try figures.write(to: output)
    }
}

struct Figures {
    var rows: [(String, Double, String)] = []

    mutating func add(_ name: String, _ value: Double, _ unit: String) {
        rows.append((name, value, unit))
        print("\(name) \(String(format: "%.2f", value)) \(unit)")
    }

    func write(to path: String) throws {
        let json: JSON = .object(
            JSONObject(
                dictionaryLiteral: (
                    "figures",
                    .array(rows.map { ["name": .string($0.0), "value": .double($0.1), "unit": .string($0.2)] })
                )))
        try json.serialized().write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// Runs `body` for 0..<count, spread over `workers` concurrent tasks.
func inParallel(_ count: Int, workers: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<workers {
            group.addTask {
                var index = worker
                while index < count {
                    try await body(index)
                    index += workers
                }
            }
        }
        try await group.waitForAll()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
