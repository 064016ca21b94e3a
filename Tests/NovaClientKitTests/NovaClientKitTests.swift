import Foundation
import NovaClientKit
import NovaCore
import Testing

@Suite struct TableTests {
    @Test func rendersLikeNovaclient() {
        let table = Table(columns: ["ID", "Name"], rows: [["1", "m1.tiny"], ["10", "big"]])
        #expect(
            table.render() == """
                +----+---------+
                | ID | Name    |
                +----+---------+
                | 1  | m1.tiny |
                | 10 | big     |
                +----+---------+
                """)
    }

    @Test func theWidestColumnIsCutToFitTheTerminal() {
        let table = Table(columns: ["ID", "Value"], rows: [["a", String(repeating: "x", count: 60)]])
        let lines = table.render(width: 40).split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 40 })
        #expect(lines[3].hasSuffix("... |"))
    }

    @Test func propertiesAreTwoColumns() {
        #expect(Table.properties([("status", "ACTIVE")]).columns == ["Property", "Value"])
    }
}

@Suite struct FormatTests {
    @Test(arguments: [(1, "Running"), (4, "Shutdown"), (3, "Paused"), (7, "Suspended"), (0, "NOSTATE")])
    func powerStates(value: Int, name: String) {
        #expect(ServerFormat.powerState(.int(value)) == name)
    }

    @Test func networksReadAsNovaclientPrintsThem() {
        let addresses: JSON = ["private": [["addr": "10.0.0.2"], ["addr": "10.0.0.3"]]]
        #expect(ServerFormat.networks(addresses) == "private=10.0.0.2, 10.0.0.3")
    }

    @Test func namesAreMatchedLiterally() {
        #expect(ServerLookup.escapeRegex("vm.1(a)") == "vm\\.1\\(a\\)")
        #expect(ServerLookup.encode("^vm 1$") == "%5Evm%201%24")
    }
}

@Suite struct SettingsTests {
    @Test func missingSettingsAreNamed() {
        do {
            _ = try ClientSettings(environment: ["OS_USERNAME": "u"]).validated()
            Issue.record("incomplete settings were accepted")
        } catch let error as ClientError {
            #expect(error.message.contains("OS_AUTH_URL"))
            #expect(error.message.contains("OS_PASSWORD"))
            #expect(!error.message.contains("OS_USERNAME"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func latestMeansTheNewestVersion() throws {
        let settings = try ClientSettings(
            environment: [
                "OS_AUTH_URL": "http://x/identity", "OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_PROJECT_NAME": "p",
                "OS_COMPUTE_API_VERSION": "latest",
            ]
        ).validated()
        #expect(settings.computeAPIVersion == "2.96")
    }
}

@Suite struct TokenCacheTests {
    let settings = ClientSettings(environment: [
        "OS_AUTH_URL": "http://x/identity", "OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_PROJECT_NAME": "demo",
    ])

    func cache() -> TokenCache {
        TokenCache(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("nova-cache-\(UUID())").path)
    }

    func entry(expiresIn seconds: TimeInterval) -> CachedAuth {
        CachedAuth(
            token: "t", expiresAt: Date().addingTimeInterval(seconds), computeURL: "http://x/compute/v2.1",
            imageURL: nil, projectID: "p", userID: "u")
    }

    @Test func aValidTokenIsReused() throws {
        let cache = cache()
        cache.store(entry(expiresIn: 3600), for: settings)
        #expect(cache.load(for: settings)?.token == "t")
        var other = settings
        other.projectName = "admin"
        #expect(cache.load(for: other) == nil)
    }

    @Test func aTokenAboutToExpireIsNot() {
        let cache = cache()
        cache.store(entry(expiresIn: 30), for: settings)
        #expect(cache.load(for: settings) == nil)
    }

    @Test func theFileIsPrivate() throws {
        let cache = cache()
        cache.store(entry(expiresIn: 3600), for: settings)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.directory)
        let attributes = try FileManager.default.attributesOfItem(atPath: cache.directory + "/" + files[0])
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}
