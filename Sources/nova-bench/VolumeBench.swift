import ArgumentParser
import Foundation
import NIOHTTP1
import NovaCore

/// The block-storage service of an all-in-one (file backend, fake compute driver): a blank 1 GB volume from
/// POST to `available`, volume creates by 8 clients at once, and attach and detach round trips through Nova's
/// os-volume_attachments (each attachment a real qemu-storage-daemon export).
struct VolumeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Volume create latency and rate, attach and detach round trips.")

    @Option(help: "Blank volumes timed one at a time.") var sequential = 200
    @Option(help: "Volumes created by 8 clients at once.") var concurrent = 500
    @Option(help: "Attach and detach round trips.") var attachments = 50
    @Option(help: "The nova-server binary (default: beside this one).") var serverBinary: String?
    @Option(help: "Where to write the figures as JSON.") var output = "bench-volume.json"

    static let base = "/volume/v3"

    func run() async throws {
        try await BenchServer.measureAllInOne(binary: serverBinary, output: output) { api, figures in
            try await measure(api, &figures)
        }
    }

    /// Polls the volume until its status is `wanted` (or it is gone, for "deleted"); the time it took.
    static func wait(_ api: BenchClient, _ id: String, _ wanted: String, since start: ContinuousClock.Instant)
        async throws -> Double
    {
        while true {
            let (status, json) = try await api.send(.GET, base + "/volumes/\(id)")
            let now = json?["volume"]?["status"]?.stringValue
            if now == wanted || (status == 404 && wanted == "deleted") {
                return (ContinuousClock.now - start).seconds * 1000
            }
            if now?.hasPrefix("error") == true { throw BenchError("volume \(id) went to \(now ?? "")") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    static func create(_ api: BenchClient, _ name: String) async throws -> String {
        let json = try await api.expect(.POST, base + "/volumes", ["volume": ["size": 1, "name": .string(name)]], 202)
        guard let id = json?["volume"]?["id"]?.stringValue else { throw BenchError("no volume id") }
        return id
    }

    /// Attach and detach round trips of `volume` on `server` through os-volume_attachments, each sorted: POST to
    /// `in-use`, DELETE to `available`, in ms. `settle` passes between them (a real guest takes the disk in first,
    /// as a user would wait before detaching).
    static func roundTrips(
        _ api: BenchClient, server: String, volume: String, count: Int, settle: Duration = .zero
    ) async throws -> (attach: [Double], detach: [Double]) {
        let path = "/compute/v2.1/servers/\(server)/os-volume_attachments"
        var attach: [Double] = []
        var detach: [Double] = []
        for _ in 0..<count {
            var started = ContinuousClock.now
            _ = try await api.expect(.POST, path, ["volumeAttachment": ["volumeId": .string(volume)]], 200)
            attach.append(try await wait(api, volume, "in-use", since: started))
            if settle > .zero { try await Task.sleep(for: settle) }
            started = ContinuousClock.now
            _ = try await api.expect(.DELETE, path + "/\(volume)", nil, 202)
            detach.append(try await wait(api, volume, "available", since: started))
        }
        return (attach.sorted(), detach.sorted())
    }

    func measure(_ api: BenchClient, _ figures: inout Figures) async throws {
        _ = try await api.expect(
            .PUT, Self.base + "/os-quota-sets/\(api.projectID)", ["quota_set": ["volumes": -1, "gigabytes": -1]], 200)
        var latencies: [Double] = []
        for index in 0..<sequential {
            let start = ContinuousClock.now
            let id = try await Self.create(api, "seq-\(index)")
            latencies.append(try await Self.wait(api, id, "available", since: start))
        }
        latencies.sort()
        figures.add("volume_blank_1gb_available_p50", latencies[latencies.count / 2], "ms")
        figures.add("volume_blank_1gb_available_p95", latencies[latencies.count * 95 / 100], "ms")
        let start = ContinuousClock.now
        try await inParallel(concurrent, workers: 8) { index in
            let id = try await Self.create(api, "par-\(index)")
            _ = try await Self.wait(api, id, "available", since: ContinuousClock.now)
        }
        figures.add("volume_creates_8_clients", Double(concurrent) / (ContinuousClock.now - start).seconds, "volumes/s")
        try await api.unlimitedQuota()
        let image = try await api.defaultImage()
        try await api.createServer(name: "attach-bench", image: image)
        while try await api.count(status: "ACTIVE") < 1 { try await Task.sleep(for: .milliseconds(20)) }
        let servers = try await api.get("/compute/v2.1/servers?name=attach-bench")
        guard let server = servers?["servers"]?.arrayValue?.first?["id"]?.stringValue else {
            throw BenchError("the server is not listed")
        }
        let volume = try await Self.create(api, "attach")
        _ = try await Self.wait(api, volume, "available", since: ContinuousClock.now)
        let (attach, detach) = try await Self.roundTrips(api, server: server, volume: volume, count: attachments)
        figures.add("volume_attach_fake_p50", attach[attach.count / 2], "ms")
        figures.add("volume_detach_fake_p50", detach[detach.count / 2], "ms")
    }
}
