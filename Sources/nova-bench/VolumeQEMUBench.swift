import ArgumentParser
import Foundation
import NovaCore

/// Volumes on a real guest (the all-in-one with the QEMU driver): attach and detach round trips through Nova's
/// os-volume_attachments (hot-plug over QMP, unplug waiting for the guest), and the guest's sequential write
/// and read of a volume against the same volume file given to QEMU directly, with the same guest, script and
/// accelerator. Twice: as the all-in-one attaches volumes (the compute host is on the volume service's machine:
/// the file itself, Nova's `local` type), and over NBD (`local_attach = false`: as a compute host on another
/// machine reaches them).
struct VolumeQEMUBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume-qemu",
        abstract: "Attach/detach on a real guest; its sequential I/O over NBD vs the file given to QEMU directly.")

    @Option(help: "The guest image (scripts/build-guest-image.sh).") var guestImage = ".build-guest/nova-guest.qcow2"
    @Option(help: "Attach and detach round trips.") var attachments = 10
    @Option(help: "MiB the guest writes and reads back.") var megabytes = 512
    @Option(help: "The nova-server binary (default: beside this one).") var serverBinary: String?
    @Option(help: "Where to write the figures as JSON.") var output = "bench-volume-qemu.json"

    static let marker = "NOVA-BENCH-IO"

    /// The guest's user data: the first disk with a serial after its boot disk is written once untimed (so
    /// neither run pays for allocating the file's blocks), then written and read with O_DIRECT by one stream
    /// (one request in flight) and by four streams over its quarters; the times (the guest's uptime, 10 ms
    /// steps) on the console.
    var script: String {
        let quarter = megabytes / 4
        return """
            #!/bin/sh
            sleep 3
            for p in /sys/block/vd*; do
                d=${p##*/}; [ "$d" = vda ] && continue
                [ -n "$(cat $p/serial 2>/dev/null)" ] && disk=$d && break
            done
            t() { cut -d' ' -f1 /proc/uptime; }
            dd if=/dev/zero of=/dev/$disk bs=1M count=\(megabytes) oflag=direct 2>/dev/null
            a=$(t); dd if=/dev/zero of=/dev/$disk bs=1M count=\(megabytes) oflag=direct 2>/dev/null; b=$(t)
            dd if=/dev/$disk of=/dev/null bs=1M count=\(megabytes) iflag=direct 2>/dev/null; c=$(t)
            echo "\(Self.marker) $disk $a $b $c"
            a=$(t)
            for i in 0 1 2 3; do
                dd if=/dev/zero of=/dev/$disk bs=1M count=\(quarter) seek=$((i * \(quarter))) oflag=direct 2>/dev/null &
            done
            wait; b=$(t)
            for i in 0 1 2 3; do
                dd if=/dev/$disk of=/dev/null bs=1M count=\(quarter) skip=$((i * \(quarter))) iflag=direct 2>/dev/null &
            done
            wait; c=$(t)
            echo "\(Self.marker)4 $disk $a $b $c"
            """
    }

    func run() async throws {
        let image = URL(fileURLWithPath: guestImage).standardizedFileURL.path
        var figures = Figures()
        for (transport, config) in [("local", nil), ("nbd", "[file]\nlocal_attach = false\n")] {
            let server = try await BenchServer.startQEMU(binary: serverBinary, guestImage: image, config: config)
            defer { server.stop() }
            let client = try await BenchClient(baseURL: server.baseURL)
            do {
                try await measure(client, server.dataDirectory, image, transport: transport, &figures)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
        try figures.write(to: output)
    }

    /// One cloud's figures, named after how it attaches volumes (`transport`: `local` or `nbd`).
    func measure(
        _ api: BenchClient, _ dataDirectory: String, _ image: String, transport: String, _ figures: inout Figures
    ) async throws {
        try await api.unlimitedQuota()
        let imageID = try await api.qemuReady()
        let userData = Data(script.utf8).base64EncodedString()
        let (status, json) = try await api.send(
            .POST, "/compute/v2.1/servers",
            body: [
                "server": [
                    "name": "volume-io", "flavorRef": "1", "imageRef": .string(imageID), "networks": "none",
                    "config_drive": true, "user_data": .string(userData),
                    "block_device_mapping_v2": [
                        [
                            "uuid": .string(imageID), "source_type": "image", "destination_type": "local",
                            "boot_index": 0,
                        ],
                        [
                            "source_type": "blank", "destination_type": "volume", "volume_size": 1,
                            "boot_index": -1, "delete_on_termination": false,
                        ],
                    ],
                ]
            ])
        guard status == 202, let server = json?["server"]?["id"]?.stringValue else {
            throw BenchError("create answered \(status): \(json?.serialized() ?? "")")
        }
        var attached: (write: Double, read: Double)?
        let start = ContinuousClock.now
        while attached == nil, ContinuousClock.now - start < .seconds(300) {
            try await Task.sleep(for: .milliseconds(200))
            attached = try Self.throughput(megabytes, in: try await Self.console(api, server), streams: 4)
        }
        let text = try await Self.console(api, server)
        guard let attached, let attached1 = try Self.throughput(megabytes, in: text, streams: 1) else {
            throw BenchError("the guest printed no \(Self.marker) in 300 s")
        }
        let volumeArguments = Self.qemuArguments(of: server).filter { $0.contains("\"node-name\":\"vol") }
        let reached = volumeArguments.contains { $0.contains(transport == "nbd" ? "\"driver\":\"nbd\"" : "volume-") }
        guard reached else { throw BenchError("the guest's volume is not reached as \(transport): \(volumeArguments)") }
        try await attachDetach(api, server, transport: transport, &figures)

        // The same volume file, the same guest and script, under QEMU with the file as its drive.
        let details = try await api.get("/compute/v2.1/servers/\(server)")?["server"]
        guard
            let volume = details?["os-extended-volumes:volumes_attached"]?.arrayValue?.first?["id"]?.stringValue,
            let volumeFile = Self.find("volume-" + volume, under: dataDirectory),
            let configDrive = Self.find("disk.config", under: dataDirectory + "/instances/" + server)
        else { throw BenchError("the volume file or the config drive of \(server) was not found") }
        let folder = NSTemporaryDirectory() + "nova-bench-io-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: configDrive, toPath: folder + "/disk.config")
        let accelerator = Self.accelerator(of: server)
        _ = try await api.send(.DELETE, "/compute/v2.1/servers/\(server)")
        _ = try await VolumeBench.wait(api, volume, "available", since: .now)
        let output = try await Self.directQEMU(
            image: image, folder: folder, volumeFile: volumeFile, serial: volume, accelerator: accelerator)
        guard let direct1 = try Self.throughput(megabytes, in: output, streams: 1),
            let direct = try Self.throughput(megabytes, in: output, streams: 4)
        else { throw BenchError("the guest under plain QEMU printed no figures") }
        for (name, over, plain) in [("1_stream", attached1, direct1), ("4_streams", attached, direct)] {
            let prefix = transport + "_guest_seq_"
            figures.add(prefix + "write_\(name)", over.write, "MiB/s")
            figures.add(prefix + "write_\(name)_direct", plain.write, "MiB/s")
            figures.add(prefix + "write_\(name)_vs_direct", over.write / plain.write * 100, "%")
            figures.add(prefix + "read_\(name)", over.read, "MiB/s")
            figures.add(prefix + "read_\(name)_direct", plain.read, "MiB/s")
            figures.add(prefix + "read_\(name)_vs_direct", over.read / plain.read * 100, "%")
        }
    }

    /// Attach and detach round trips of another volume on the running guest: POST to `in-use`, DELETE to
    /// `available`.
    func attachDetach(_ api: BenchClient, _ server: String, transport: String, _ figures: inout Figures) async throws {
        let volume = try await VolumeBench.create(api, "hot-plug")
        _ = try await VolumeBench.wait(api, volume, "available", since: .now)
        let (attach, detach) = try await VolumeBench.roundTrips(
            api, server: server, volume: volume, count: attachments, settle: .seconds(1))
        figures.add("\(transport)_volume_attach_qemu_p50", attach[attach.count / 2], "ms")
        figures.add("\(transport)_volume_detach_qemu_p50", detach[detach.count / 2], "ms")
    }

    /// The figures the guest printed on `console` for 1 or 4 streams (nil before it did): MiB/s written and read.
    static func throughput(_ megabytes: Int, in console: String, streams: Int) throws
        -> (write: Double, read: Double)?
    {
        guard let found = console.range(of: marker + (streams == 1 ? "" : String(streams)) + " ") else { return nil }
        let line = console[found.lowerBound...].prefix { !$0.isNewline }
        let times = line.split(separator: " ").dropFirst(2).compactMap { Double($0) }
        guard times.count == 3, times[1] > times[0], times[2] > times[1] else {
            throw BenchError("the guest printed \(line)")
        }
        return (Double(megabytes) / (times[1] - times[0]), Double(megabytes) / (times[2] - times[1]))
    }

    static func console(_ api: BenchClient, _ server: String) async throws -> String {
        let (_, reply) = try await api.send(
            .POST, "/compute/v2.1/servers/\(server)/action", body: ["os-getConsoleOutput": ["length": 100]])
        return reply?["output"]?.stringValue ?? ""
    }

    static func find(_ name: String, under directory: String) -> String? {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return nil }
        for case let path as String in walker where path.hasSuffix("/" + name) || path == name {
            return directory + "/" + path
        }
        return nil
    }

    /// The command line of the cloud's QEMU for `server` (empty when none runs).
    static func qemuArguments(of server: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries where Int32(pid) != nil {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.first?.contains("qemu-system") == true, arguments.contains(server) { return arguments }
        }
        return []
    }

    /// The `-machine` and `-cpu` options of the cloud's QEMU for `server` (KVM where its driver found it works).
    static func accelerator(of server: String) -> [String] {
        let arguments = qemuArguments(of: server)
        guard !arguments.isEmpty else { return ["-machine", "pc,accel=tcg"] }
        var options: [String] = []
        for (index, argument) in arguments.enumerated().dropLast() where ["-machine", "-cpu"].contains(argument) {
            options += [argument, arguments[index + 1]]
        }
        return options
    }

    /// The guest under plain QEMU with the cloud's accelerator, its disk an overlay of the image, the cloud's
    /// config drive, and the volume file as a virtio disk with its serial.
    static func directQEMU(
        image: String, folder: String, volumeFile: String, serial: String, accelerator: [String]
    ) async throws -> String {
        let overlay = folder + "/disk"
        try RawQEMU.overlay(of: image, at: overlay)
        let log = folder + "/console.log"
        let arguments =
            accelerator + [
                "-m", "512", "-smp", "1", "-nodefaults", "-vga", "std", "-display", "none",
                "-drive", "file=\(overlay),format=qcow2,if=none,id=root,cache=writeback",
                "-device", "virtio-blk-pci,drive=root,bootindex=0",
                "-drive", "file=\(folder)/disk.config,format=raw,if=none,id=config,readonly=on",
                "-device", "virtio-blk-pci,drive=config",
                "-drive", "file=\(volumeFile),format=raw,if=none,id=volume,cache=writeback",
                "-device", "virtio-blk-pci,drive=volume,serial=\(serial.prefix(20))",
                "-serial", "file:\(log)",
            ]
        let output: String? = try await RawQEMU.running(arguments) {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(300) {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if text.contains(marker + "4 ") { return text }
                try await Task.sleep(for: .milliseconds(200))
            }
            return nil
        }
        if let output { return output }
        throw BenchError("the guest under plain QEMU printed no \(marker)")
    }
}
