import Foundation
import HostSystem
import NIOCore
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// A real guest through the Compute API: the all-in-one with the QEMU driver and the project's guest image.
@Suite(.enabled(if: QEMUEnvironment.available, "needs qemu-system-x86 and .build-guest/nova-guest.qcow2"), .serialized)
struct QEMUCloudTests {
    func withQEMUCloud(hosts: Int = 1, _ body: @Sendable (CloudClient, AllInOneCloud) async throws -> Void)
        async throws
    {
        try await withCloud(fakeHosts: hosts) { options in
            options.computeDriver = .qemu
            options.qemu.guestImage = QEMUEnvironment.guestImage
            options.qemu.virtType = .auto
            options.qemu.shutdownTimeout = 20
            options.console.rawPort = Int.random(in: 20000..<30000)
            options.console.noVNCPort = options.console.rawPort + 1
            options.console.serialEnabled = true
            options.console.serialPort = options.console.rawPort + 2
            options.console.spiceEnabled = true
            options.console.spicePort = options.console.rawPort + 3
        } _: { client, cloud in
            try await body(client, cloud)
        }
    }

    func guestImage(_ client: CloudClient, _ token: String) async throws -> String {
        let reply = try await client.request(.get, "/image/v2/images?name=nova-guest", token: token)
        return try #require(reply.json?["images"]?.arrayValue?.first?["id"]?.stringValue)
    }

    func action(_ client: CloudClient, _ id: String, _ body: JSON, _ token: String, version: String = "2.79")
        async throws -> Reply
    {
        try await client.request(
            .post, "/compute/v2.1/servers/\(id)/action", token: token, version: version, body: body)
    }

    func consoleOutput(_ client: CloudClient, _ id: String, _ token: String, length: Int? = nil) async throws
        -> String
    {
        let argument: JSON = length.map { ["length": .int($0)] } ?? [:]
        let reply = try await action(client, id, ["os-getConsoleOutput": argument], token)
        return reply.json?["output"]?.stringValue ?? ""
    }

    /// Waits for `marker` to appear on the console `times` times (each boot prints it once).
    func waitForMarker(_ client: CloudClient, _ id: String, _ token: String, times: Int = 1) async throws {
        for _ in 0..<1200 {
            let output = try await consoleOutput(client, id, token)
            if output.components(separatedBy: "NOVA-GUEST-BOOTED").count - 1 >= times { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the guest did not print its marker \(times) time(s)")
    }

    /// Waits for the compute hosts, boots the guest image as `name` and waits for its console marker.
    func bootGuest(_ client: CloudClient, _ name: String, hosts: Int = 1) async throws -> (token: String, id: String) {
        let token = try await client.adminToken()
        try await client.waitForHosts(hosts, token: token)
        let image = try await guestImage(client, token)
        let id = try await client.createServer(
            name, token: token, image: image, extra: ["networks": "none"], version: "2.37")
        try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 120)
        try await waitForMarker(client, id, token)
        return (token, id)
    }

    @Test func aRealGuestThroughItsWholeLife() async throws {
        try await withQEMUCloud { client, _ in
            let (token, id) = try await bootGuest(client, "guest")
            // The guest prints its marker, then a tick every 2 s: the last two lines are there once the console
            // has three (right after the marker it may have one only, and `length: 2` then gives one).
            func lines(_ text: String) -> Int { text.split(whereSeparator: \.isNewline).count }
            for _ in 0..<600 where lines(try await consoleOutput(client, id, token)) < 3 {
                try await Task.sleep(for: .milliseconds(100))
            }
            let lastTwo = try await consoleOutput(client, id, token, length: 2)
            #expect(lines(lastTwo) == 2, "\(lastTwo.debugDescription)")

            for (name, status) in [
                ("pause", "PAUSED"), ("unpause", "ACTIVE"), ("os-stop", "SHUTOFF"), ("os-start", "ACTIVE"),
            ] {
                let reply = try await action(client, id, [name: .null], token)
                #expect(reply.status == 202, "\(name): \(reply.text)")
                try await client.waitFor(id, status: status, token: token, seconds: 120)
            }
            try await waitForMarker(client, id, token, times: 2)
            #expect(try await action(client, id, ["reboot": ["type": "HARD"]], token).status == 202)
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 120)
            try await waitForMarker(client, id, token, times: 3)

            // The raw VNC proxy: the token line, then QEMU's VNC server greets through the relay.
            let console = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/remote-consoles", token: token, version: "2.6",
                body: ["remote_console": ["protocol": "vnc", "type": "xvpvnc"]])
            let url = try #require(console.json?["remote_console"]?["url"]?.stringValue)
            let greeting = try await RawConsoleProbe.greeting(url: url)
            #expect(greeting.hasPrefix("RFB 003."), "got \(greeting)")

            // The serial console: nova-serialproxy relays the guest's serial port over a WebSocket, where its
            // ticks arrive as they are written (the console log keeps them too).
            let serial = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/remote-consoles", token: token, version: "2.6",
                body: ["remote_console": ["protocol": "serial", "type": "serial"]])
            let serialURL = try #require(serial.json?["remote_console"]?["url"]?.stringValue, "\(serial.text)")
            #expect(serialURL.hasPrefix("ws://127.0.0.1:"), "\(serialURL)")
            // Two ticks at most 2 s apart: at least one whole "nova-guest tick N" line within 40 bytes.
            let heard = try await RawConsoleProbe.serialBytes(url: serialURL, atLeast: 40)
            #expect(heard.contains("nova-guest tick "), "got \(heard.debugDescription)")

            // SPICE: spice-html5's page from nova-spicehtml5proxy, and its WebSocket (token in the cookie the
            // page sets, subprotocol `binary`) relayed to the guest's SPICE server, which answers a link.
            let spice = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/remote-consoles", token: token, version: "2.6",
                body: ["remote_console": ["protocol": "spice", "type": "spice-html5"]])
            let spiceURL = try #require(spice.json?["remote_console"]?["url"]?.stringValue, "\(spice.text)")
            #expect(spiceURL.contains("/spice_auto.html?token="), "\(spiceURL)")
            let page = try await RawConsoleProbe.httpGet(url: spiceURL)
            #expect(page.hasPrefix("HTTP/1.1 200") && page.contains("spice"), "\(page.prefix(200))")
            let link = try await RawConsoleProbe.spiceLinkReply(url: spiceURL)
            #expect(Array(link.prefix(4)) == [UInt8]("REDQ".utf8), "got \(link)")
            #expect(
                link.count >= 20 && link[16..<20].allSatisfy { $0 == 0 }, "the link is accepted: \(link.prefix(20))")

            // Snapshot, then a new server from it that boots too.
            let snapshot = try await action(client, id, ["createImage": ["name": "guest-snap"]], token)
            #expect(snapshot.status == 202, "\(snapshot.text)")
            let snapshotID = try #require(snapshot.json?["image_id"]?.stringValue)
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 120)
            let stored = try await client.request(.get, "/image/v2/images/\(snapshotID)", token: token)
            #expect(stored.json?["status"]?.stringValue == "active")
            #expect(stored.json?["disk_format"]?.stringValue == "qcow2")
            let second = try await client.createServer(
                "from-snap", token: token, image: snapshotID, extra: ["networks": "none"], version: "2.37")
            try await client.waitFor(second, status: "ACTIVE", token: token, seconds: 120)
            try await waitForMarker(client, second, token)

            for server in [id, second] {
                #expect(
                    try await client.request(.delete, "/compute/v2.1/servers/\(server)", token: token).status == 204)
            }
            for _ in 0..<300 {
                if QEMUEnvironment.processes(naming: id).isEmpty, QEMUEnvironment.processes(naming: second).isEmpty {
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(QEMUEnvironment.processes(naming: id).isEmpty)
            #expect(QEMUEnvironment.processes(naming: second).isEmpty)
        }
    }
}

extension QEMUCloudTests {
    /// changePassword through QEMU's guest agent: the image says it has one (`hw_qemu_guest_agent`), the guest
    /// gets the agent's virtio-serial port, and the guest image's agent sets the password with chpasswd.
    @Test func changePasswordGoesThroughTheGuestAgent() async throws {
        try await withQEMUCloud { client, _ in
            let admin = try await client.adminToken()
            let image = try await guestImage(client, admin)
            let patched = try await client.request(
                .patch, "/image/v2/images/\(image)", token: admin,
                body: [["op": "add", "path": "/hw_qemu_guest_agent", "value": "yes"]])
            #expect(patched.status == 200, "\(patched.text)")
            let (token, id) = try await bootGuest(client, "agent")
            let reply = try await action(client, id, ["changePassword": ["adminPass": "s3cret-Pass"]], token)
            #expect(reply.status == 202, "\(reply.text)")
            var output = ""
            for _ in 0..<100 where !output.contains("NOVA-GUEST-PASSWORD-SET root") {
                output = try await consoleOutput(client, id, token)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(output.contains("NOVA-GUEST-PASSWORD-SET root"), "\(output.suffix(400))")
            let server = try await client.request(.get, "/compute/v2.1/servers/\(id)", token: token)
            #expect(server.json?["server"]?["OS-EXT-STS:task_state"] == .null)
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token).status == 204)
        }
    }

    /// A flavor's ephemeral disk (ext4, labelled ephemeral0) and swap disk, and rebuilds that keep the
    /// ephemeral disk's data with preserve_ephemeral and make it anew without.
    @Test func ephemeralAndSwapDisksAndAPreservingRebuild() async throws {
        try await withQEMUCloud { client, cloud in
            let token = try await client.adminToken()
            try await client.waitForHosts(1, token: token)
            let flavor = try await client.request(
                .post, "/compute/v2.1/flavors", token: token,
                body: [
                    "flavor": [
                        "name": "with-ephemeral", "ram": 128, "vcpus": 1, "disk": 1, "OS-FLV-EXT-DATA:ephemeral": 1,
                        "swap": 64,
                    ]
                ])
            let flavorID = try #require(flavor.json?["flavor"]?["id"]?.stringValue, "\(flavor.text)")
            let image = try await guestImage(client, token)
            let id = try await client.createServer(
                "ephemeral", token: token, flavor: flavorID, image: image, extra: ["networks": "none"], version: "2.37")
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 120)
            try await waitForMarker(client, id, token)
            let line = try #require(QEMUEnvironment.commandLines(naming: id).first)
            #expect(line.contains("disk.eph0") && line.contains("disk.swap"), "\(line)")
            let folder = try #require(Self.guestFolder(id, under: cloud.options.dataDirectory))
            let ephemeral = folder + "/disk.eph0"
            // ext4's superblock magic 0xEF53 at 1080 and its label at 1144; mkswap's signature before 4096.
            let fileSystem = try await Self.bytes(of: ephemeral, at: 1080, count: 80)
            #expect(Array(fileSystem.prefix(2)) == [0x53, 0xEF], "an ext4 file system")
            #expect(String(decoding: fileSystem[64..<74], as: UTF8.self) == "ephemeral0")
            let swap = try await Self.bytes(of: folder + "/disk.swap", at: 4086, count: 10)
            #expect(String(decoding: swap, as: UTF8.self) == "SWAPSPACE2")

            // Data written to the ephemeral disk of the stopped guest stays through a preserving rebuild only.
            #expect(try await action(client, id, ["os-stop": .null], token).status == 202)
            try await client.waitFor(id, status: "SHUTOFF", token: token, seconds: 120)
            _ = try await ProcessRunner.check("qemu-io", ["-c", "write -P 0x5a 512M 4k", ephemeral])
            func rebuild(preserving: Bool) async throws {
                let reply = try await action(
                    client, id, ["rebuild": ["imageRef": .string(image), "preserve_ephemeral": .bool(preserving)]],
                    token)
                #expect(reply.status == 202, "\(reply.text)")
                try await Task.sleep(for: .milliseconds(200))
                try await client.waitFor(id, status: "SHUTOFF", token: token, seconds: 120)
            }
            try await rebuild(preserving: true)
            let kept = try await ProcessRunner.run("qemu-io", ["-c", "read -P 0x5a 512M 4k", ephemeral])
            #expect(kept.status == 0 && !kept.output.contains("Pattern verification failed"), "\(kept.output)")
            try await rebuild(preserving: false)
            let fresh = try await ProcessRunner.run("qemu-io", ["-c", "read -P 0x5a 512M 4k", ephemeral])
            #expect(fresh.output.contains("Pattern verification failed"), "\(fresh.output)")
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token).status == 204)
        }
    }

    static func guestFolder(_ id: String, under root: String) -> String? {
        let walker = FileManager.default.enumerator(atPath: root)
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix("/" + id) { return root + "/" + path }
        }
        return nil
    }

    /// `count` bytes at `offset` of a qcow2 file's guest-visible contents.
    static func bytes(of disk: String, at offset: Int, count: Int) async throws -> [UInt8] {
        let raw = FileManager.default.temporaryDirectory.appendingPathComponent("eph-\(UUID().uuidString).raw").path
        defer { try? FileManager.default.removeItem(atPath: raw) }
        _ = try await ProcessRunner.check("qemu-img", ["convert", "-U", "-O", "raw", disk, raw])
        let handle = try #require(FileHandle(forReadingAtPath: raw))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return Array(try handle.read(upToCount: count) ?? Data())
    }

    /// Rescue and unrescue; shelve offload destroys the QEMU process; unshelve boots a new one from the snapshot.
    @Test func aRealGuestRescuedShelvedAndUnshelved() async throws {
        try await withQEMUCloud { client, _ in
            let (token, id) = try await bootGuest(client, "shelver")
            // Rescue boots the image afresh with the guest's disk second; unrescue boots the guest's disk.
            #expect(try await action(client, id, ["rescue": .null], token).status == 200)
            try await client.waitFor(id, status: "RESCUE", token: token, seconds: 120)
            try await waitForMarker(client, id, token, times: 2)
            #expect(QEMUEnvironment.commandLines(naming: id).contains { $0.contains("disk.rescue") })
            #expect(try await action(client, id, ["unrescue": .null], token).status == 202)
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 120)
            try await waitForMarker(client, id, token, times: 3)
            #expect(!QEMUEnvironment.commandLines(naming: id).contains { $0.contains("disk.rescue") })
            #expect(try await action(client, id, ["shelve": .null], token).status == 202)
            try await client.waitFor(id, status: "SHELVED_OFFLOADED", token: token, seconds: 120)
            #expect(QEMUEnvironment.processes(naming: id).isEmpty, "the offloaded guest's QEMU is gone")
            let shelved = try await client.request(.get, "/image/v2/images?name=shelver-shelved", token: token)
            #expect(shelved.json?["images"]?.arrayValue?.first?["disk_format"] == "qcow2")
            #expect(try await action(client, id, ["unshelve": .null], token).status == 202)
            try await client.waitFor(id, status: "ACTIVE", token: token, seconds: 120)
            try await waitForMarker(client, id, token)
            #expect(!QEMUEnvironment.processes(naming: id).isEmpty)
            let gone = try await client.request(.get, "/image/v2/images?name=shelver-shelved", token: token)
            #expect(gone.json?["images"]?.arrayValue?.isEmpty == true, "the snapshot is deleted after unshelve")
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token).status == 204)
            for _ in 0..<300 where !QEMUEnvironment.processes(naming: id).isEmpty {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(QEMUEnvironment.processes(naming: id).isEmpty)
        }
    }
}

/// A desktop VNC client's first steps against the raw proxy: send the token line, read the RFB greeting.
enum RawConsoleProbe {
    static func greeting(url: String) async throws -> String {
        let components = try #require(URLComponents(string: url))
        let token = try #require(components.queryItems?.first { $0.name == "token" }?.value)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(components.port ?? 6081).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0, "cannot connect to the raw VNC proxy")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let line = Array((token + "\n").utf8)
        _ = line.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 12)
        let count = recv(descriptor, &buffer, 12, Int32(MSG_WAITALL))
        return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
    }

    /// A WebSocket client's first look at a serial console: the upgrade, then the payload of binary frames
    /// until `atLeast` bytes arrived (the guest writes a line every 2 s).
    static func serialBytes(url: String, atLeast wanted: Int) async throws -> String {
        let (descriptor, _) = try webSocket(url: url, path: "/", cookie: false)
        defer { close(descriptor) }
        return String(decoding: frames(descriptor, atLeast: wanted), as: UTF8.self)
    }

    /// What a SPICE server answers a client's link to its main channel, through the proxy as spice-html5
    /// connects: `/websockify`, the token in its cookie, subprotocol `binary`. SpiceLinkHeader (`REDQ`,
    /// version 2.2, size) and SpiceLinkMess (connection 0, channel MAIN 0, no capabilities).
    static func spiceLinkReply(url: String) async throws -> [UInt8] {
        let (descriptor, status) = try webSocket(url: url, path: "/websockify", cookie: true)
        defer { close(descriptor) }
        try #require(status.contains("Sec-WebSocket-Protocol: binary"), "\(status)")
        func little(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
        let message = little(0) + [1, 0] + little(0) + little(0) + little(18)
        let link = Array("REDQ".utf8) + little(2) + little(2) + little(UInt32(message.count)) + message
        // A client's frame is masked (RFC 6455): FIN + binary, the mask bit with the length, the key, the data.
        let key: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        let frame = [0x82, 0x80 | UInt8(link.count)] + key + link.enumerated().map { $0.element ^ key[$0.offset % 4] }
        _ = frame.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        return frames(descriptor, atLeast: 20)
    }

    /// A plain GET of `url` on loopback: the status line, headers and body.
    static func httpGet(url: String) async throws -> String {
        let components = try #require(URLComponents(string: url))
        let descriptor = try connected(port: components.port ?? 80)
        defer { close(descriptor) }
        let request = "GET \(components.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = Array(request.utf8).withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while received.count < 65536 {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count <= 0 { break }
            received += chunk.prefix(count)
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// The upgrade of a console URL's token (in the query, or in a cookie as spice-html5 sends it) to a
    /// WebSocket at `path`: the socket and the answer's head, which must be 101.
    static func webSocket(url: String, path: String, cookie: Bool) throws -> (Int32, String) {
        let components = try #require(URLComponents(string: url))
        let token = try #require(components.queryItems?.first { $0.name == "token" }?.value)
        let descriptor = try connected(port: components.port ?? 6083)
        let target = cookie ? path : path + "?token=" + token
        let request =
            "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + (cookie ? "Cookie: token=\(token)\r\nSec-WebSocket-Protocol: binary\r\n" : "")
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = Array(request.utf8).withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while !received.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), recv(descriptor, &byte, 1, 0) == 1 {
            received.append(byte)
        }
        let status = String(decoding: received, as: UTF8.self)
        guard status.hasPrefix("HTTP/1.1 101") else {
            close(descriptor)
            throw NovaError.badRequest("no WebSocket: \(status)")
        }
        return (descriptor, status)
    }

    /// The payload of the server's frames until `wanted` bytes arrived (or the connection ends).
    static func frames(_ descriptor: Int32, atLeast wanted: Int) -> [UInt8] {
        var payload: [UInt8] = []
        while payload.count < wanted {
            var head = [UInt8](repeating: 0, count: 2)
            guard recv(descriptor, &head, 2, Int32(MSG_WAITALL)) == 2 else { break }
            var length = Int(head[1] & 0x7F)
            if length == 126 {
                var extended = [UInt8](repeating: 0, count: 2)
                guard recv(descriptor, &extended, 2, Int32(MSG_WAITALL)) == 2 else { break }
                length = Int(extended[0]) << 8 | Int(extended[1])
            }
            var body = [UInt8](repeating: 0, count: length)
            guard length == 0 || recv(descriptor, &body, length, Int32(MSG_WAITALL)) == length else { break }
            payload += body
        }
        return payload
    }

    static func connected(port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw NovaError.serviceUnavailable("cannot connect to 127.0.0.1:\(port)")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return descriptor
    }
}
