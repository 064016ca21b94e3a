import ArgumentParser
import Foundation
import NIOHTTP1
import NovaCore

/// The networking API of an all-in-one: port creates one client at a time and eight at once (with a check
/// that no address was given twice), `GET /v2.0/ports?device_id=` with 10,000 ports, then boots without a
/// network and with a port each, in the same run (the cost of the network step per boot).
struct NetworkBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Port create rate and port lookups by device at 10,000 ports.")

    @Option(help: "Ports created one at a time.") var sequential = 500
    @Option(help: "Ports created by 8 clients at once.") var concurrent = 2000
    @Option(help: "Ports in the cloud when lookups are timed.") var total = 10000
    @Option(help: "Lookups per latency figure.") var samples = 200
    @Option(help: "Servers booted without a network, then as many with a port each.") var boots = 300
    @Option(help: "The nova-server binary (default: beside this one).") var serverBinary: String?
    @Option(help: "Where to write the figures as JSON.") var output = "bench-network.json"

    func run() async throws {
        try await BenchServer.measureAllInOne(binary: serverBinary, output: output) { api, figures in
            try await measure(api, &figures)
        }
    }

    func measure(_ api: BenchClient, _ figures: inout Figures) async throws {
        let base = "/networking/v2.0"
        _ = try await api.expect(.PUT, base + "/quotas/\(api.projectID)", ["quota": ["port": -1]], 200)
        let network = try await api.expect(.POST, base + "/networks", ["network": ["name": "bench"]], 201)
        let networkID = network?["network"]?["id"]?.stringValue ?? ""
        _ = try await api.expect(
            .POST, base + "/subnets",
            ["subnet": ["network_id": .string(networkID), "cidr": "10.100.0.0/16", "ip_version": 4]], 201)
        let addresses = Addresses()
        let create: @Sendable (Int) async throws -> Void = { index in
            let port = try await api.expect(
                .POST, base + "/ports",
                [
                    "port": [
                        "network_id": .string(networkID), "device_id": .string("device-\(index)"),
                        "device_owner": "compute:nova",
                    ]
                ], 201)
            addresses.add(port?["port"]?["fixed_ips"]?.arrayValue?.first?["ip_address"]?.stringValue ?? "")
        }
        var start = ContinuousClock.now
        try await inParallel(sequential, workers: 1) { try await create($0) }
        figures.add(
            "network_port_creates_sequential", Double(sequential) / (ContinuousClock.now - start).seconds, "ports/s")
        start = ContinuousClock.now
        try await inParallel(concurrent, workers: 8) { try await create(sequential + $0) }
        figures.add(
            "network_port_creates_8_clients", Double(concurrent) / (ContinuousClock.now - start).seconds, "ports/s")
        let made = sequential + concurrent
        if total > made { try await inParallel(total - made, workers: 8) { try await create(made + $0) } }
        figures.add("network_duplicate_addresses", Double(addresses.duplicates), "addresses")
        let count = max(total, made)
        var latencies: [Double] = []
        for sample in 0..<samples {
            let started = ContinuousClock.now
            let (status, json) = try await api.send(.GET, base + "/ports?device_id=device-\((sample * 7919) % count)")
            guard status == 200, json?["ports"]?.arrayValue?.count == 1 else {
                throw BenchError("ports?device_id= answered \(status)")
            }
            latencies.append((ContinuousClock.now - started).seconds * 1000)
        }
        latencies.sort()
        figures.add("network_ports_by_device_\(count)_p50", latencies[latencies.count / 2], "ms")
        figures.add("network_ports_by_device_\(count)_p95", latencies[latencies.count * 95 / 100], "ms")
        try await api.unlimitedQuota()
        let image = try await api.defaultImage()
        var booted = 0
        for (name, networks) in [("no_network", JSON.string("none")), ("a_port_each", [["uuid": .string(networkID)]])] {
            let started = ContinuousClock.now
            try await inParallel(boots, workers: 8) { index in
                try await api.createServer(name: "\(name)-\(index)", image: image, networks: networks)
            }
            booted += boots
            while try await api.count(status: "ACTIVE") < booted {
                if try await api.count(status: "ERROR") > 0 { throw BenchError("a server went to ERROR") }
                try await Task.sleep(for: .milliseconds(20))
            }
            figures.add(
                "network_boot_\(boots)_\(name)", Double(boots) / (ContinuousClock.now - started).seconds, "servers/s")
        }
    }
}

/// The addresses the ports got, to count any given twice.
final class Addresses: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: Set<String> = []
    private(set) var duplicates = 0

    func add(_ address: String) {
        lock.withLock {
            if !seen.insert(address).inserted { duplicates += 1 }
        }
    }
}

extension BenchClient {
    /// A call that must answer `status`.
    func expect(_ method: HTTPMethod, _ path: String, _ body: JSON?, _ status: Int) async throws -> JSON? {
        let (answered, json) = try await send(method, path, body: body)
        guard answered == status else {
            throw BenchError("\(method) \(path) answered \(answered): \(json?.serialized().prefix(300) ?? "")")
        }
        return json
    }
}
