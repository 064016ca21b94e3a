import ArgumentParser
import Foundation
import NovaCore
import QMP

/// Boot-to-marker through the Compute API against the same guest under plain QEMU, QEMU's memory per guest
/// and QMP round trips.
struct QEMUBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qemu", abstract: "Real guests: API boot vs raw QEMU, RSS per guest, QMP latency.")

    @Option(help: "The guest image (scripts/build-guest-image.sh).") var guestImage = ".build-guest/nova-guest.qcow2"
    @Option(help: "Boots of each kind.") var boots = 3
    @Option(help: "QMP round trips to time.") var roundTrips = 1000
    @Option(help: "The nova-server binary (default: beside this one).") var serverBinary: String?
    @Option(help: "Where to write the figures as JSON.") var output = "bench-qemu.json"

    static let marker = "NOVA-GUEST-BOOTED"

    func run() async throws {
        var figures = Figures()
        let image = URL(fileURLWithPath: guestImage).standardizedFileURL.path
        var raw: [Double] = []
        for _ in 0..<boots { raw.append(try await rawBoot(image)) }
        print("raw QEMU boots to marker: \(raw.map { String(format: "%.2f s", $0) })")
        let server = try await BenchServer.startQEMU(binary: serverBinary, guestImage: image)
        defer { server.stop() }
        let client = try await BenchClient(baseURL: server.baseURL)
        do {
            try await measureAPI(client, raw: raw, &figures)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        try figures.write(to: output)
    }

    func measureAPI(_ client: BenchClient, raw: [Double], _ figures: inout Figures) async throws {
        try await client.unlimitedQuota()
        let imageID = try await client.qemuReady()
        var api: [Double] = []
        var rss: [Double] = []
        for index in 0..<boots {
            let (seconds, uuid) = try await apiBoot(client, imageID, name: "bench-\(index)")
            api.append(seconds)
            rss.append(Double(Self.qemuRSSKiB(uuid)) / 1024)
            _ = try await client.send(.DELETE, "/compute/v2.1/servers/\(uuid)")
        }
        try await qmpLatency(&figures)
        let raw = raw.sorted()
        api.sort()
        let rawMedian = raw[raw.count / 2]
        let apiMedian = api[api.count / 2]
        figures.add("boot_to_marker_raw_qemu_median", rawMedian, "s")
        figures.add("boot_to_marker_api_median", apiMedian, "s")
        figures.add("boot_to_marker_ratio", apiMedian / rawMedian, "x")
        figures.add("qemu_rss_per_guest_median", rss.sorted()[rss.count / 2], "MiB")
    }

    /// The same guest under plain QEMU (TCG, same memory and disk bus), timed to its marker.
    func rawBoot(_ image: String) async throws -> Double {
        let directory = NSTemporaryDirectory() + "nova-bench-raw-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let overlay = directory + "/disk"
        let log = directory + "/console.log"
        try RawQEMU.overlay(of: image, at: overlay)
        let arguments = [
            "-machine", "pc,accel=tcg", "-m", "512", "-smp", "1", "-nodefaults", "-vga", "std", "-display", "none",
            "-drive", "file=\(overlay),format=qcow2,if=virtio", "-serial", "file:\(log)",
        ]
        let start = ContinuousClock.now
        let booted: Double? = try await RawQEMU.running(arguments) {
            while ContinuousClock.now - start < .seconds(120) {
                if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains(Self.marker) {
                    return (ContinuousClock.now - start).seconds
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
        if let booted { return booted }
        throw BenchError("raw QEMU did not print its marker")
    }

    /// POST /servers to the marker in os-getConsoleOutput, as a user would see it.
    func apiBoot(_ client: BenchClient, _ image: String, name: String) async throws -> (Double, String) {
        let start = ContinuousClock.now
        let (status, json) = try await client.send(
            .POST, "/compute/v2.1/servers",
            body: ["server": ["name": .string(name), "flavorRef": "1", "imageRef": .string(image), "networks": "none"]])
        guard status == 202, let uuid = json?["server"]?["id"]?.stringValue else {
            throw BenchError("create answered \(status)")
        }
        while ContinuousClock.now - start < .seconds(60) {
            let (_, reply) = try await client.send(
                .POST, "/compute/v2.1/servers/\(uuid)/action", body: ["os-getConsoleOutput": ["length": 50]])
            if reply?["output"]?.stringValue?.contains(Self.marker) == true {
                return ((ContinuousClock.now - start).seconds, uuid)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let server = try await client.get("/compute/v2.1/servers/\(uuid)")?["server"]
        throw BenchError(
            "the API-booted guest did not print its marker: \(server?["status"]?.stringValue ?? "?") \(server?["fault"]?.serialized() ?? "")"
        )
    }

    /// QEMU takes one QMP client per socket and the driver holds each guest's, so a paused QEMU of its own.
    func qmpLatency(_ figures: inout Figures) async throws {
        let directory = NSTemporaryDirectory() + "nova-bench-qmp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = [
            "-machine", "pc,accel=tcg", "-m", "64", "-nodefaults", "-display", "none", "-S",
            "-qmp", "unix:\(directory)/qmp.sock,server=on,wait=off",
        ]
        let latencies: [Double] = try await RawQEMU.running(arguments) {
            var client: QMPClient?
            for _ in 0..<100 where client == nil {
                client = try? await QMPClient.connect(socketPath: directory + "/qmp.sock", timeout: .seconds(2))
                if client == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard let client else { throw BenchError("QMP socket did not answer") }
            var latencies: [Double] = []
            for _ in 0..<roundTrips {
                let start = ContinuousClock.now
                _ = try await client.execute("query-status")
                latencies.append((ContinuousClock.now - start).seconds * 1_000_000)
            }
            await client.close()
            return latencies.sorted()
        }
        figures.add("qmp_query_status_p50", latencies[latencies.count / 2], "us")
        figures.add("qmp_query_status_p99", latencies[latencies.count * 99 / 100], "us")
    }

    static func qemuRSSKiB(_ uuid: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries.compactMap(Int32.init) {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                String(decoding: data, as: UTF8.self).contains(uuid),
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
            else { continue }
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
