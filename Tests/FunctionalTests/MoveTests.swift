import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Resize, cold and live migration through the API with two or three fake hosts, each outcome followed by an
/// audit of Placement: every consumer is a live instance (or a migration still under way) and holds exactly its
/// flavor on its host.
@Suite struct MoveTests {
    static let small = "2"

    @Test func resizeThenConfirmMovesTheServerAndFreesTheSource() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await action(client, id, ["resize": ["flavorRef": .string(Self.small)]], token, expect: 202)
            let resized = try await client.waitFor(id, status: "VERIFY_RESIZE", token: token)
            #expect(resized["OS-EXT-SRV-ATTR:host"]?.stringValue != source)
            #expect(resized["flavor"]?["id"]?.stringValue == Self.small)
            let migration = try await onlyMigration(client, id, token)
            #expect(migration["status"] == "finished")
            #expect(migration["migration_type"] == "resize")
            // During the move the migration holds the source's old size, the instance the destination's new one.
            let held = cloud.placement.snapshot.consumers[try #require(migration["uuid"]?.stringValue)]
            #expect(held?.consumerType == "MIGRATION")
            #expect(held?.allocations.values.first?["MEMORY_MB"] == 512)
            try await action(client, id, ["confirmResize": .null], token, expect: 204)
            let active = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(active["OS-EXT-SRV-ATTR:host"] == resized["OS-EXT-SRV-ATTR:host"])
            #expect(try await onlyMigration(client, id, token)["status"] == "confirmed")
            try await audit(cloud)
        }
    }

    @Test func anUnconfirmedResizeIsConfirmedAfterTheWindow() async throws {
        try await withCloud(
            fakeHosts: 2,
            configure: {
                $0.moves.resizeConfirmWindow = 1
                $0.reportInterval = .milliseconds(200)
            }
        ) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token)
            try await action(client, id, ["resize": ["flavorRef": .string(Self.small)]], token, expect: 202)
            try await waitForMigration(client, id, token, status: "confirmed")
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["flavor"]?["id"]?.stringValue == Self.small)
            try await audit(cloud)
        }
    }

    @Test func revertResizeBringsTheServerBackWithItsOldFlavor() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await action(client, id, ["resize": ["flavorRef": .string(Self.small)]], token, expect: 202)
            try await client.waitFor(id, status: "VERIFY_RESIZE", token: token)
            try await action(client, id, ["revertResize": .null], token, expect: 202)
            let back = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(back["OS-EXT-SRV-ATTR:host"]?.stringValue == source)
            #expect(back["flavor"]?["id"]?.stringValue == "1")
            #expect(try await onlyMigration(client, id, token)["status"] == "reverted")
            try await audit(cloud)
        }
    }

    @Test func aStoppedServerStaysStoppedThroughAColdMigration() async throws {
        try await withCloud(fakeHosts: 3) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await action(client, id, ["os-stop": .null], token, expect: 202)
            try await client.waitFor(id, status: "SHUTOFF", token: token)
            let target = cloud.options.computeHostNames.first { $0 != source }!
            try await action(
                client, id, ["migrate": ["host": .string(target)]], token, version: "2.56", expect: 202)
            let moved = try await client.waitFor(id, status: "VERIFY_RESIZE", token: token)
            #expect(moved["OS-EXT-SRV-ATTR:host"]?.stringValue == target)
            try await action(client, id, ["confirmResize": .null], token, expect: 204)
            let stopped = try await client.waitFor(id, status: "SHUTOFF", token: token)
            #expect(stopped["OS-EXT-STS:power_state"]?.intValue == 4)
            try await audit(cloud)
        }
    }

    @Test func liveMigrationMovesARunningServer() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await action(
                client, id, ["os-migrateLive": ["host": .null, "block_migration": "auto"]], token, version: "2.30",
                expect: 202)
            let moved = try await waitForMigration(client, id, token, status: "completed")
            #expect(moved["migration_type"] == "live-migration")
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue != source)
            let instance = try #require(try await cloud.computeStore.instance(uuid: id))
            #expect(await cloud.drivers[instance.host!]!.powerState(of: instance) == .running)
            #expect(await cloud.drivers[source]!.powerState(of: instance) == nil)
            try await audit(cloud)
        }
    }

    @Test func abortingALiveMigrationLeavesTheServerWhereItWas() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            await cloud.drivers[source]!.setLiveMigrationPace(steps: 200, delay: .milliseconds(50))
            try await action(
                client, id, ["os-migrateLive": ["host": .null, "block_migration": false]], token, version: "2.25",
                expect: 202)
            let running = try await waitForServerMigration(client, id, token)
            let migrationID = try #require(running["id"]?.intValue)
            #expect(running["server_uuid"]?.stringValue == id)
            let abort = try await client.request(
                .delete, "/compute/v2.1/servers/\(id)/migrations/\(migrationID)", token: token, version: "2.24")
            #expect(abort.status == 202, "\(abort.text)")
            try await waitForMigration(client, id, token, status: "cancelled")
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue == source)
            let gone = try await client.request(
                .get, "/compute/v2.1/servers/\(id)/migrations/\(migrationID)", token: token, version: "2.24")
            #expect(gone.status == 404)
            try await audit(cloud)
        }
    }

    @Test func forceCompleteFinishesALiveMigration() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            await cloud.drivers[source]!.setLiveMigrationPace(steps: 2000, delay: .milliseconds(50))
            try await action(
                client, id, ["os-migrateLive": ["host": .null, "block_migration": "auto"]], token, version: "2.25",
                expect: 202)
            let running = try await waitForServerMigration(client, id, token)
            let path = "/compute/v2.1/servers/\(id)/migrations/\(running["id"]!.intValue!)/action"
            let forced = try await client.request(
                .post, path, token: token, version: "2.22", body: ["force_complete": .null])
            #expect(forced.status == 202, "\(forced.text)")
            try await waitForMigration(client, id, token, status: "completed")
            try await audit(cloud)
        }
    }

    @Test func badMoveRequestsAreRefusedAndChangeNothing() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token, hosts: 1)
            try await action(client, id, ["resize": ["flavorRef": "1"]], token, expect: 400)
            try await action(client, id, ["resize": .object([:])], token, expect: 400)
            try await action(client, id, ["resize": ["flavorRef": "nope"]], token, expect: 400)
            try await action(client, id, ["confirmResize": .null], token, expect: 400)
            try await action(
                client, id, ["migrate": ["host": .string(source)]], token, version: "2.56", expect: 400)
            try await action(
                client, id, ["migrate": ["host": "no-such-host"]], token, version: "2.56", expect: 400)
            try await action(
                client, id, ["os-migrateLive": ["host": .null, "block_migration": "maybe"]], token, version: "2.25",
                expect: 400)
            let demo = try await client.demoToken(cloud)
            let demoServer = try await client.createServer(
                "demo-vm", token: demo, image: try await client.defaultImage(token: demo))
            try await client.waitFor(demoServer, status: "ACTIVE", token: demo)
            try await action(client, demoServer, ["migrate": .null], demo, expect: 403)
            let list = try await client.request(.get, "/compute/v2.1/os-migrations", token: demo)
            #expect(list.status == 403)
            // One host: nowhere to go. The server stays ACTIVE where it was, the migration is in error.
            try await action(client, id, ["migrate": .null], token, expect: 202)
            try await waitForMigration(client, id, token, status: "error")
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue == source)
            try await audit(cloud)
        }
    }

    @Test(arguments: [
        ("migrate_disk_and_power_off", "ERROR"), ("finish_migration", "ERROR"),
        ("pre_live_migration", "ACTIVE"), ("live_migration", "ACTIVE"),
    ])
    func aFailedStepRollsBackWithoutLeakingAllocations(operation: String, status: String) async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            for driver in cloud.drivers.values { await driver.failNext(operation) }
            let live = operation.contains("live")
            let body: JSON =
                live ? ["os-migrateLive": ["host": .null, "block_migration": "auto"]] : ["migrate": .null]
            try await action(client, id, body, token, version: "2.25", expect: 202)
            try await waitForMigration(client, id, token, status: live ? "failed" : "error")
            let server = try await client.waitFor(id, status: status, token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue == source)
            if status == "ERROR" { #expect(server["fault"]?["message"]?.stringValue?.contains(operation) == true) }
            try await audit(cloud)
        }
    }

    @Test(arguments: [
        ("confirm_migration", "confirmResize", "ERROR"), ("revert_migration", "revertResize", "VERIFY_RESIZE"),
        ("finish_revert_migration", "revertResize", "ERROR"),
    ])
    func aFailedConfirmOrRevertEndsCleanly(operation: String, request: String, status: String) async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token)
            try await action(client, id, ["resize": ["flavorRef": .string(Self.small)]], token, expect: 202)
            try await client.waitFor(id, status: "VERIFY_RESIZE", token: token)
            for driver in cloud.drivers.values { await driver.failNext(operation) }
            try await action(client, id, [request: .null], token, expect: request == "confirmResize" ? 204 : 202)
            try await waitForMigration(client, id, token, status: status == "ERROR" ? "error" : "finished")
            try await client.waitFor(id, status: status, token: token)
            try await audit(cloud)
        }
    }

    @Test func deletingAServerAwaitingConfirmationRemovesBothGuests() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            try await action(client, id, ["migrate": .null], token, expect: 202)
            try await client.waitFor(id, status: "VERIFY_RESIZE", token: token)
            #expect(await cloud.drivers[source]!.keepsMovedGuest(id))
            #expect(try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token).status == 204)
            for _ in 0..<200 where await cloud.drivers[source]!.keepsMovedGuest(id) {
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(await !cloud.drivers[source]!.keepsMovedGuest(id), "the source's stopped guest is removed")
            for driver in cloud.drivers.values { #expect(await !driver.listInstanceUUIDs().contains(id)) }
            try await expectNoAllocations(cloud)
        }
    }

    @Test func deletingAServerInTheMiddleOfAMoveEndsTheMove() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, _) = try await bootAndLocate(client, cloud, token)
            for driver in cloud.drivers.values { await driver.hang("finish_migration") }
            try await action(client, id, ["migrate": .null], token, expect: 202)
            var task: MoveTask?
            for _ in 0..<200 {
                task = try await cloud.computeStore.moveTask(instanceUUID: id)
                if task?.step == .finishResize { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            let running = try #require(task)
            // A late or repeated message for a step the task has passed changes nothing.
            await #expect(throws: NovaError.self) {
                try await cloud.computeStore.advanceMove(
                    MoveAdvance(
                        taskUUID: running.uuid, expectedStep: .prepResize, nextStep: nil,
                        instance: InstanceUpdate(vmState: .error)),
                    deadline: Date(), at: Date())
            }
            let deleted = try await client.request(.delete, "/compute/v2.1/servers/\(id)", token: token)
            #expect(deleted.status == 204)
            for _ in 0..<200 {
                if try await cloud.computeStore.instance(uuid: id)?.isDeleted == true { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            for driver in cloud.drivers.values { await driver.release("finish_migration") }
            // The destination's late guest is removed: its move no longer records it there.
            for _ in 0..<100 {
                var left = false
                for driver in cloud.drivers.values where await driver.listInstanceUUIDs().contains(id) { left = true }
                if !left { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            for driver in cloud.drivers.values { #expect(await !driver.listInstanceUUIDs().contains(id)) }
            #expect(try await cloud.computeStore.moveTask(instanceUUID: id) == nil)
            #expect(try await cloud.computeStore.migration(uuid: running.migrationUUID)?.status == "error")
            try await expectNoAllocations(cloud)
        }
    }

    @Test func aStepThatNeverFinishesIsRolledBackAtItsDeadline() async throws {
        try await withCloud(
            fakeHosts: 2,
            configure: {
                $0.moves.stepTimeout = 1
                $0.reportInterval = .milliseconds(200)
            }
        ) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            for driver in cloud.drivers.values { await driver.hang("finish_migration") }
            try await action(client, id, ["migrate": .null], token, expect: 202)
            try await waitForMigration(client, id, token, status: "error")
            let server = try await client.waitFor(id, status: "ERROR", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"]?.stringValue == source)
            #expect(server["fault"]?["message"]?.stringValue?.contains("did not finish") == true)
            for driver in cloud.drivers.values { await driver.release("finish_migration") }
            try await audit(cloud)
        }
    }

    @Test func aRestartInTheMiddleOfALiveMigrationFinishesIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nova-crash-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id = try await withCloud(dataDirectory: directory, fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            let (id, source) = try await bootAndLocate(client, cloud, token)
            await cloud.drivers[source]!.setLiveMigrationPace(steps: 2000, delay: .milliseconds(50))
            try await action(
                client, id, ["os-migrateLive": ["host": .null, "block_migration": "auto"]], token, version: "2.25",
                expect: 202)
            _ = try await waitForServerMigration(client, id, token)
            return id
        }
        // The cloud stopped with the migration running; a new process over the same database finishes it.
        try await withCloud(dataDirectory: directory, fakeHosts: 2) { client, cloud in
            let token = try await client.adminToken()
            try await waitForMigration(client, id, token, status: "completed", seconds: 20)
            let server = try await client.waitFor(id, status: "ACTIVE", token: token)
            #expect(server["OS-EXT-STS:task_state"] == .null)
            try await audit(cloud)
        }
    }
}

// MARK: - Helpers

func bootAndLocate(_ client: CloudClient, _ cloud: AllInOneCloud, _ token: String, hosts: Int = 2) async throws
    -> (String, String)
{
    try await client.waitForHosts(cloud.options.computeHostNames.count, token: token)
    let id = try await client.createServer("mover", token: token, image: try await client.defaultImage(token: token))
    let server = try await client.waitFor(id, status: "ACTIVE", token: token)
    return (id, try #require(server["OS-EXT-SRV-ATTR:host"]?.stringValue))
}

func action(
    _ client: CloudClient, _ id: String, _ body: JSON, _ token: String, version: String? = nil, expect status: Int
) async throws {
    let reply = try await client.request(
        .post, "/compute/v2.1/servers/\(id)/action", token: token, version: version, body: body)
    #expect(reply.status == status, "\(body.serialized()): \(reply.text)")
    if status >= 400 { #expect(reply.json?.objectValue?.keys.first != nil) }
}

func onlyMigration(_ client: CloudClient, _ id: String, _ token: String) async throws -> JSON {
    let reply = try await client.request(
        .get, "/compute/v2.1/os-migrations?instance_uuid=\(id)", token: token, version: "2.80")
    let migrations = try #require(reply.json?["migrations"]?.arrayValue)
    try #require(migrations.count == 1, "\(reply.text)")
    return migrations[0]
}

@discardableResult
func waitForMigration(_ client: CloudClient, _ id: String, _ token: String, status: String, seconds: Int = 10)
    async throws -> JSON
{
    var last: JSON = .null
    for _ in 0..<(seconds * 20) {
        let reply = try await client.request(
            .get, "/compute/v2.1/os-migrations?instance_uuid=\(id)", token: token, version: "2.80")
        last = reply.json?["migrations"]?.arrayValue?.first ?? .null
        if last["status"]?.stringValue == status { return last }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("migration of \(id) did not reach \(status): \(last.serialized())")
    return last
}

/// The in-progress live migration of a server, once its source is sending it.
func waitForServerMigration(_ client: CloudClient, _ id: String, _ token: String) async throws -> JSON {
    for _ in 0..<200 {
        let reply = try await client.request(
            .get, "/compute/v2.1/servers/\(id)/migrations", token: token, version: "2.80")
        if let running = reply.json?["migrations"]?.arrayValue?.first, running["status"] == "running" {
            return running
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("live migration of \(id) did not start running")
    return .null
}

/// No consumer holds anything in Placement (the conductor releases allocations just after it deletes rows).
/// With `consumer`, only that consumer must hold nothing.
func expectNoAllocations(_ cloud: AllInOneCloud, of consumer: String? = nil, _ comment: Comment? = nil)
    async throws
{
    func held() -> Bool {
        let consumers = cloud.placement.snapshot.consumers
        return consumer.map { consumers[$0] != nil } ?? !consumers.isEmpty
    }
    for _ in 0..<200 where held() { try await Task.sleep(for: .milliseconds(25)) }
    #expect(!held(), comment ?? "\(cloud.placement.snapshot.consumers.keys)")
}

/// Placement agrees with the database: each consumer is a live instance holding its flavor on its host's
/// provider, or a migration still under way; no instance is in a task_state.
func audit(_ cloud: AllInOneCloud) async throws {
    let state = cloud.placement.snapshot
    let instances = try await cloud.computeStore.listInstances(.init())
    for instance in instances {
        #expect(instance.taskState == nil, "\(instance.uuid) is still \(instance.taskState?.rawValue ?? "")")
    }
    for (uuid, consumer) in state.consumers {
        if let instance = instances.first(where: { $0.uuid == uuid }) {
            let provider = state.providers[consumer.allocations.keys.first ?? ""]
            #expect(consumer.allocations.count == 1)
            #expect(provider?.name == instance.host, "\(uuid) holds resources away from its host")
            let held = consumer.allocations.values.first ?? [:]
            #expect(held["VCPU"] == instance.flavor.vcpus && held["MEMORY_MB"] == instance.flavor.memoryMB)
        } else {
            let migration = try await cloud.computeStore.migration(uuid: uuid)
            #expect(
                migration != nil && !Migration.finalStatuses.contains(migration!.status),
                "leaked allocation of consumer \(uuid) (\(migration?.status ?? "no record"))")
        }
    }
}
