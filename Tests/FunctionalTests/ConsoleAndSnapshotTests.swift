import Foundation
import NovaCloud
import NovaCore
import NovaDB
import NovaTestSupport
import Testing

@Suite struct ConsoleAndSnapshotTests {
    func activeServer(_ client: CloudClient, _ token: String) async throws -> String {
        try await client.waitForHosts(1, token: token)
        let image = try await client.defaultImage(token: token)
        let id = try await client.createServer("console", token: token, image: image)
        try await client.waitFor(id, status: "ACTIVE", token: token)
        return id
    }

    @Test func consoleOutputTakesLengthAndRejectsBadOnes() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let id = try await activeServer(client, token)
            let path = "/compute/v2.1/servers/\(id)/action"
            let all = try await client.request(.post, path, token: token, body: ["os-getConsoleOutput": [:]])
            #expect(all.json?["output"]?.stringValue == "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE\n")
            let last = try await client.request(
                .post, path, token: token, body: ["os-getConsoleOutput": ["length": 1]])
            #expect(last.json?["output"]?.stringValue == "LAST LINE")
            let bad = try await client.request(
                .post, path, token: token, body: ["os-getConsoleOutput": ["length": "many"]])
            #expect(bad.status == 400)
            #expect(bad.json?["badRequest"]?["code"]?.intValue == 400)
        }
    }

    @Test func remoteConsolesGiveHashedExpiringTokens() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let id = try await activeServer(client, token)
            let reply = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/remote-consoles", token: token, version: "2.6",
                body: ["remote_console": ["protocol": "vnc", "type": "novnc"]])
            #expect(reply.status == 200, "\(reply.text)")
            let url = try #require(reply.json?["remote_console"]?["url"]?.stringValue)
            #expect(url.hasPrefix(cloud.options.resolvedNoVNCBaseURL + "?path=%3Ftoken%3D"))
            let consoleToken = String(url.split(separator: "%3D").last!)
            // Only the hash is stored.
            let stored = try await cloud.computeStore.consoleToken(consoleToken, now: Date())
            #expect(stored?.tokenHash == ConsoleAuthToken.hash(consoleToken))
            #expect(stored?.tokenHash != consoleToken)
            let shown = try await client.request(
                .get, "/compute/v2.1/os-console-auth-tokens/\(consoleToken)", token: token)
            #expect(shown.json?["console"]?["instance_uuid"]?.stringValue == id)
            #expect(shown.json?["console"]?["port"]?.intValue == 6969)
            // Expired tokens are as good as absent, and the clean-up removes them.
            let later = Date().addingTimeInterval(601)
            #expect(
                try await cloud.computeStore.consoleToken(consoleToken, now: later) == nil)
            #expect(try await cloud.computeStore.deleteExpiredConsoleTokens(now: later) == 1)
            let gone = try await client.request(
                .get, "/compute/v2.1/os-console-auth-tokens/\(consoleToken)", token: token)
            #expect(gone.status == 404)

            let legacy = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: token, version: "2.5",
                body: ["os-getVNCConsole": ["type": "novnc"]])
            #expect(legacy.json?["console"]?["type"]?.stringValue == "novnc")
            for (proto, type) in [("spice", "spice-html5"), ("vnc", "bogus"), ("telnet", "x")] {
                let bad = try await client.request(
                    .post, "/compute/v2.1/servers/\(id)/remote-consoles", token: token, version: "2.6",
                    body: ["remote_console": ["protocol": .string(proto), "type": .string(type)]])
                #expect(bad.status == 400, "\(proto)/\(type)")
            }
            let demo = try await client.demoToken(cloud)
            let forbidden = try await client.request(
                .get, "/compute/v2.1/os-console-auth-tokens/\(consoleToken)", token: demo)
            #expect(forbidden.status == 403)
        }
    }

    @Test func createImageUploadsASnapshotThatBoots() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let token = try await client.adminToken()
            let id = try await activeServer(client, token)
            let reply = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: token, version: "2.45",
                body: ["createImage": ["name": "snap", "metadata": ["purpose": "test"]]])
            #expect(reply.status == 202, "\(reply.text)")
            let imageID = try #require(reply.json?["image_id"]?.stringValue)
            try await client.waitFor(id, status: "ACTIVE", token: token)
            var image = try await client.request(.get, "/image/v2/images/\(imageID)", token: token)
            for _ in 0..<100 where image.json?["status"]?.stringValue != "active" {
                try await Task.sleep(for: .milliseconds(50))
                image = try await client.request(.get, "/image/v2/images/\(imageID)", token: token)
            }
            #expect(image.json?["status"]?.stringValue == "active")
            #expect(image.json?["instance_uuid"]?.stringValue == id)
            #expect(image.json?["image_type"]?.stringValue == "snapshot")
            #expect(image.json?["purpose"]?.stringValue == "test")
            let second = try await client.createServer("from-snap", token: token, image: imageID)
            try await client.waitFor(second, status: "ACTIVE", token: token)

            let noName = try await client.request(
                .post, "/compute/v2.1/servers/\(id)/action", token: token, body: ["createImage": [:]])
            #expect(noName.status == 400)
            let actions = try await client.request(
                .get, "/compute/v2.1/servers/\(id)/os-instance-actions", token: token)
            let names = actions.json?["instanceActions"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
            #expect(names.contains("createImage"))
        }
    }
}
