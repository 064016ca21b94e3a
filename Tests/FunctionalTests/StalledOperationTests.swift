import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Single-host operations that stop making progress: sent again while the host is up, ended cleanly when
/// it is down or keeps not answering.
@Suite struct StalledOperationTests {
    func withQuickDeadlines(
        stepTimeout: TimeInterval = 1, _ body: @Sendable (CloudClient, AllInOneCloud) async throws -> Void
    ) async throws {
        try await withCloud(
            fakeHosts: 1,
            configure: {
                $0.moves.stepTimeout = stepTimeout
                $0.reportInterval = .milliseconds(200)
            }, body)
    }

    func instance(_ cloud: AllInOneCloud, _ id: String) async throws -> Instance {
        try #require(try await cloud.computeStore.instance(uuid: id))
    }

    @Test func aStalledStopIsSentAgainThenFinishes() async throws {
        // The release must come between the first deadline and the second: a few seconds apart.
        try await withQuickDeadlines(stepTimeout: 3) { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            await cloud.drivers[host]!.hang("power_off")
            try await action(client, id, ["os-stop": .null], token, expect: 202)
            var attempts: Int?
            for _ in 0..<400 {
                attempts = try await instance(cloud, id).taskAttempts
                if attempts == 1 { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(attempts == 1, "the stop was sent again")
            await cloud.drivers[host]!.release("power_off")
            let stopped = try await client.waitFor(id, status: "SHUTOFF", token: token)
            #expect(stopped["fault"] == nil)
        }
    }

    @Test func anOperationThatNeverFinishesEndsInErrorWithAFault() async throws {
        try await withQuickDeadlines { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            await cloud.drivers[host]!.hang("power_off")
            try await action(client, id, ["os-stop": .null], token, expect: 202)
            let failed = try await client.waitFor(id, status: "ERROR", token: token, seconds: 20)
            let message = failed["fault"]?["message"]?.stringValue ?? ""
            #expect(message.contains("stop_instance did not finish on \(host) after 2 attempts"), "\(message)")
            await cloud.drivers[host]!.release("power_off")
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await instance(cloud, id).vmState == .error, "a late answer does not undo the outcome")
        }
    }

    @Test func aDeadHostEndsItsOperationsCleanly() async throws {
        try await withQuickDeadlines { client, cloud in
            let token = try await client.adminToken()
            let (id, host) = try await bootAndLocate(client, cloud, token, hosts: 1)
            let other = try await client.createServer(
                "other", token: token, image: try await client.defaultImage(token: token))
            try await client.waitFor(other, status: "ACTIVE", token: token)
            await cloud.drivers[host]!.hang("reboot")
            await cloud.drivers[host]!.hang("destroy")
            try await action(client, id, ["reboot": ["type": "SOFT"]], token, expect: 202)
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(other)", token: token).status == 204)
            try await forceDown(host, client, token)
            let failed = try await client.waitFor(id, status: "ERROR", token: token, seconds: 20)
            #expect(failed["fault"]?["message"]?.stringValue?.contains("compute service of \(host) is down") == true)
            var gone = false
            for _ in 0..<100 where !gone {
                gone = try await client.request(.get, "/compute/v2.1/servers/\(other)", token: token).status == 404
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(gone, "the delete was finished without the host")
            try await expectNoAllocations(cloud, of: other)
            await cloud.drivers[host]!.release("reboot")
            await cloud.drivers[host]!.release("destroy")
        }
    }
}
