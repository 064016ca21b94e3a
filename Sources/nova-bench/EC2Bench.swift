import ArgumentParser
import AsyncHTTPClient
import Foundation
import IdentityService
import NIOCore
import NIOHTTP1
import NovaCore

/// The EC2 front end's overhead: RunInstances throughput against the compute API's boot rate in the same run,
/// and DescribeInstances against `GET /servers/detail` with the same servers.
struct EC2Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ec2", abstract: "The EC2 API's overhead over the compute API.")

    @Option(help: "Servers booted through each API.") var servers = 500
    @Option(help: "Concurrent clients during the boots.") var concurrency = 8
    @Option(help: "Fake compute hosts.") var fakeHosts = 4
    @Option(help: "Requests per latency figure.") var samples = 100
    @Option(help: "The nova-server binary (default: beside this one).") var serverBinary: String?
    @Option(help: "Where to write the figures as JSON.") var output = "bench-ec2.json"

    func run() async throws {
        let binary =
            serverBinary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("nova-server").path
        let server = try await BenchServer.start(binary: binary, fakeHosts: fakeHosts)
        do {
            try await measure(server)
        } catch {
            server.stop()
            throw error
        }
        server.stop()
    }

    func measure(_ server: BenchServer) async throws {
        var figures = Figures()
        let api = try await BenchClient(baseURL: server.baseURL)
        try await api.unlimitedQuota()
        let image = try await api.defaultImage()
        let ec2 = try await EC2Client(api: api)

        // The same number of servers through each API, in four rounds of half of them each, OpenStack, EC2, EC2,
        // OpenStack: each API boots as many servers into a cloud of the same sizes (a later round boots into a
        // fuller cloud, and waiting for ACTIVE lists every server).
        let ami = try await ec2.imageID()
        let half = max(1, servers / 2)
        var booted = 0
        var openStack = 0.0
        var viaEC2 = 0.0
        var createCalls = (openStack: 0.0, ec2: 0.0)
        for round in 0..<4 {
            booted += half
            if round == 0 || round == 3 {
                let (calls, all) = try await timedBoot(api, count: half, total: booted) { index in
                    try await api.createServer(name: "os-\(round)-\(index)", image: image)
                }
                openStack += all
                createCalls.openStack += calls
            } else {
                let (calls, all) = try await timedBoot(api, count: half, total: booted) { _ in
                    let text = try await ec2.call([
                        "Action": "RunInstances", "ImageId": ami, "InstanceType": "m1.tiny", "MinCount": "1",
                        "MaxCount": "1",
                    ])
                    guard text.contains("<instanceId>") else { throw BenchError("RunInstances: \(text.prefix(300))") }
                }
                viaEC2 += all
                createCalls.ec2 += calls
            }
        }
        let each = Double(half * 2)
        figures.add("openstack_boot_\(half * 2)_to_active", each / openStack, "servers/s")
        figures.add("ec2_run_instances_\(half * 2)_to_active", each / viaEC2, "servers/s")
        figures.add("ec2_boot_rate_of_openstack", openStack / viaEC2 * 100, "%")
        figures.add("openstack_create_requests", each / createCalls.openStack, "requests/s")
        figures.add("ec2_run_instances_requests", each / createCalls.ec2, "requests/s")

        let total = booted
        var detail: [Double] = []
        var describe: [Double] = []
        for _ in 0..<samples {
            var start = ContinuousClock.now
            _ = try await api.fetch("/compute/v2.1/servers/detail?limit=\(total)")
            detail.append((ContinuousClock.now - start).seconds * 1000)
            start = ContinuousClock.now
            let text = try await ec2.call(["Action": "DescribeInstances"])
            describe.append((ContinuousClock.now - start).seconds * 1000)
            guard text.contains("<reservationSet>") else { throw BenchError("DescribeInstances: \(text.prefix(300))") }
        }
        var regions: [Double] = []
        for _ in 0..<samples {
            let start = ContinuousClock.now
            _ = try await ec2.call(["Action": "DescribeRegions"])
            regions.append((ContinuousClock.now - start).seconds * 1000)
        }
        regions.sort()
        // A call that reads nothing: what checking the signature (Keystone's ec2tokens) costs each request.
        figures.add("ec2_describe_regions_p50", regions[regions.count / 2], "ms")
        detail.sort()
        describe.sort()
        figures.add("servers_detail_\(total)_p50", detail[detail.count / 2], "ms")
        figures.add("ec2_describe_instances_\(total)_p50", describe[describe.count / 2], "ms")
        figures.add("ec2_describe_overhead_p50", describe[describe.count / 2] - detail[detail.count / 2], "ms")
        figures.add("ec2_describe_instances_\(total)_p95", describe[describe.count * 95 / 100], "ms")
        await ec2.shutdown()
        await api.shutdown()
        try figures.write(to: output)
    }

    /// Boots `count` servers: the seconds until every call was answered, and until every server of the cloud
    /// is ACTIVE (`total` of them then).
    func timedBoot(
        _ api: BenchClient, count: Int, total: Int, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws -> (calls: Double, active: Double) {
        let start = ContinuousClock.now
        try await inParallel(count, workers: concurrency, body)
        let calls = (ContinuousClock.now - start).seconds
        while try await api.count(status: "ACTIVE") < total {
            try await Task.sleep(for: .milliseconds(20))
        }
        return (calls, (ContinuousClock.now - start).seconds)
    }
}

/// Signed EC2 calls as the bench's admin, with an EC2 key pair made for it.
struct EC2Client: Sendable {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let baseURL: String
    let access: String
    let secret: String

    init(api: BenchClient) async throws {
        baseURL = api.baseURL
        let (_, user) = try await api.send(.GET, "/identity/v3/auth/tokens", headers: [("X-Subject-Token", api.token)])
        guard let userID = user?["token"]?["user"]?["id"]?.stringValue else { throw BenchError("no user") }
        let (status, created) = try await api.send(
            .POST, "/identity/v3/users/\(userID)/credentials/OS-EC2", body: ["tenant_id": .string(api.projectID)])
        guard status == 201, let access = created?["credential"]?["access"]?.stringValue,
            let secret = created?["credential"]?["secret"]?.stringValue
        else { throw BenchError("no EC2 key pair: \(status)") }
        self.access = access
        self.secret = secret
    }

    func shutdown() async { try? await http.shutdown() }

    func imageID() async throws -> String {
        let text = try await call(["Action": "DescribeImages"])
        guard let start = text.range(of: "<imageId>"),
            let end = text.range(of: "</imageId>", range: start.upperBound..<text.endIndex)
        else { throw BenchError("DescribeImages: \(text.prefix(300))") }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// A POST to /ec2 signed with Signature Version 4, as botocore signs it; the answer's text.
    func call(_ params: [String: String]) async throws -> String {
        var all = params
        all["Version"] = "2016-11-15"
        let body = all.keys.sorted().map { "\(PercentEncoding.encode($0))=\(PercentEncoding.encode(all[$0] ?? ""))" }
            .joined(separator: "&")
        let host = String(baseURL.dropFirst("http://".count))
        var request = HTTPClientRequest(url: baseURL + "/ec2")
        request.method = .POST
        for (name, value) in try EC2Signature.signedPostHeaders(
            access: access, secret: secret, host: host, path: "/ec2", body: body, date: Date())
        {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return String(buffer: bytes)
    }
}
