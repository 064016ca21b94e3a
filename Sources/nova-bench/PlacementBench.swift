import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NovaCore

/// Placement over HTTP with `noauth2`: providers with inventories, traits and aggregates, then candidate
/// queries and claims. `--url` points it at any Placement (the genuine one too) instead of starting ours.
struct PlacementBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "placement", abstract: "Allocation candidates and claims at 1,000 and 5,000 providers.")

    @Option(help: "Provider counts, comma-separated.") var providers = "1000,5000"
    @Option(help: "Requests per latency figure.") var samples = 100
    @Option(help: "Claims per claim-rate figure.") var claims = 400
    @Option(help: "A running Placement to measure instead (e.g. http://127.0.0.1:8778/placement).") var url: String?
    @Option(help: "Prefix of the figure names.") var label = "placement"
    @Option(help: "The nova-server binary (default: beside this one).") var serverBinary: String?
    @Option(help: "Where to write the figures as JSON.") var output = "bench-placement.json"

    func run() async throws {
        var figures = Figures()
        let binary =
            serverBinary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("nova-server").path
        for count in providers.split(separator: ",").compactMap({ Int($0) }) {
            var server: BenchServer?
            let base: String
            if let url {
                base = url
            } else {
                let started = try await BenchServer.startPlacement(binary: binary)
                server = started
                base = started.baseURL + "/placement"
            }
            let client = PlacementHTTP(base: base)
            do {
                try await measure(client, count, &figures)
            } catch {
                server?.stop()
                throw error
            }
            await client.shutdown()
            server?.stop()
        }
        try figures.write(to: output)
    }

    func measure(_ client: PlacementHTTP, _ count: Int, _ figures: inout Figures) async throws {
        let run = UUID().uuidString.prefix(8).lowercased()
        let started = ContinuousClock.now
        let uuids = try await client.populate(count, run: String(run))
        figures.add("\(label)_create_\(count)_providers", (ContinuousClock.now - started).seconds, "s")
        let query = "/allocation_candidates?resources=VCPU:1,MEMORY_MB:1024,DISK_GB:10&required=!CUSTOM_BENCH_OFF"
        for (name, path) in [("", query), ("_limit_10", query + "&limit=10")] {
            var latencies: [Double] = []
            for _ in 0..<samples {
                let start = ContinuousClock.now
                let (status, _) = try await client.send(.GET, path, parse: false)
                guard status == 200 else { throw BenchError("candidates answered \(status)") }
                latencies.append((ContinuousClock.now - start).seconds * 1000)
            }
            latencies.sort()
            figures.add("\(label)_candidates_\(count)\(name)_p50", latencies[latencies.count / 2], "ms")
            figures.add("\(label)_candidates_\(count)\(name)_p95", latencies[latencies.count * 95 / 100], "ms")
        }
        for concurrency in [1, 8] {
            let start = ContinuousClock.now
            let failures = Failures()
            try await inParallel(claims, workers: concurrency) { index in
                if try await !client.claim(provider: uuids[(index * 7919) % uuids.count]) { failures.add() }
            }
            let name = concurrency == 1 ? "sequential" : "\(concurrency)_clients"
            let seconds = (ContinuousClock.now - start).seconds
            figures.add("\(label)_claims_\(count)_\(name)", Double(claims - failures.count) / seconds, "claims/s")
            figures.add("\(label)_claims_\(count)_\(name)_errors", Double(failures.count), "claims")
        }
    }
}

/// The Placement calls the benchmark makes, with the `admin` token of noauth2 and microversion 1.36.
struct PlacementHTTP: Sendable {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let base: String

    func shutdown() async { try? await http.shutdown() }

    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, body: JSON? = nil, parse: Bool = true) async throws -> (Int, JSON?)
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "X-Auth-Token", value: "admin")
        request.headers.add(name: "OpenStack-API-Version", value: "placement 1.36")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return (Int(response.status.code), parse ? JSON.parse(bytes.readableBytesView) : nil)
    }

    /// A call that must succeed; a 500 (the genuine Placement's "database is locked" on SQLite) is retried.
    func expect(_ method: HTTPMethod, _ path: String, _ body: JSON?, _ statuses: Set<Int>) async throws -> JSON? {
        var attempt = 0
        while true {
            let (status, json) = try await send(method, path, body: body)
            if statuses.contains(status) { return json }
            attempt += 1
            guard status == 500, attempt < 20 else {
                throw BenchError("\(method) \(path) answered \(status): \(json?.serialized() ?? "")")
            }
            try await Task.sleep(for: .milliseconds(20 * attempt))
        }
    }

    /// Providers like compute nodes: inventory, a trait on every other one, an aggregate per hundred.
    func populate(_ count: Int, run: String) async throws -> [String] {
        _ = try await expect(.PUT, "/traits/CUSTOM_BENCH_OFF", nil, [201, 204])
        let uuids = (0..<count).map { _ in UUID().uuidString.lowercased() }
        try await inParallel(count, workers: 8) { index in
            try await provider(uuids[index], name: "bench-\(run)-\(index)", index: index)
        }
        return uuids
    }

    func provider(_ uuid: String, name: String, index: Int) async throws {
        _ = try await expect(.POST, "/resource_providers", ["name": .string(name), "uuid": .string(uuid)], [200, 201])
        let inventories: JSON = [
            "resource_provider_generation": 0,
            "inventories": [
                "VCPU": ["total": 64, "allocation_ratio": .double(4.0)],
                "MEMORY_MB": ["total": 262_144, "reserved": 512],
                "DISK_GB": ["total": 4000],
            ],
        ]
        _ = try await expect(.PUT, "/resource_providers/\(uuid)/inventories", inventories, [200])
        let traits: [JSON] = index % 2 == 0 ? ["HW_CPU_X86_AVX2", "COMPUTE_NODE"] : ["COMPUTE_NODE"]
        _ = try await expect(
            .PUT, "/resource_providers/\(uuid)/traits", ["resource_provider_generation": 1, "traits": .array(traits)],
            [200])
        let aggregate = String(format: "00000000-0000-0000-0000-%012d", index / 100)
        _ = try await expect(
            .PUT, "/resource_providers/\(uuid)/aggregates",
            ["resource_provider_generation": 2, "aggregates": [.string(aggregate)]], [200])
    }

    /// One claim; false when the server refused or failed it (counted, not retried).
    func claim(provider: String) async throws -> Bool {
        var allocations = JSONObject()
        allocations.append(provider, ["resources": ["VCPU": 1, "MEMORY_MB": 1024, "DISK_GB": 10]])
        let body: JSON = [
            "allocations": .object(allocations), "project_id": "bench", "user_id": "bench",
            "consumer_generation": .null,
        ]
        return try await send(.PUT, "/allocations/\(UUID().uuidString.lowercased())", body: body).0 == 204
    }
}

/// A counter the concurrent workers share.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.withLock { value += 1 } }
    var count: Int { lock.withLock { value } }
}
