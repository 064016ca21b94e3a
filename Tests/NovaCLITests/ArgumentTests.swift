import NovaClientKit
import NovaCore
import Testing

@testable import nova

@Suite struct ArgumentTests {
    @Test func listTakesNovaclientsFilters() throws {
        let command = try ListServers.parse(["--all-tenants", "--host", "compute-1", "--name", "^web", "--limit", "5"])
        #expect(command.allTenants)
        #expect(command.host == "compute-1")
        #expect(command.name == "^web")
        #expect(command.limit == 5)
        #expect(command.global.format == .table)
    }

    @Test func bootTakesHintsAndCounts() throws {
        let command = try BootServer.parse([
            "--flavor", "m1.tiny", "--image", "cirros", "--hint", "group=abc", "--hint", "different_host=x",
            "--min-count", "2", "--max-count", "3", "--poll", "web",
        ])
        #expect(command.name == "web")
        #expect(command.hints == ["group=abc", "different_host=x"])
        #expect(command.minCount == 2 && command.maxCount == 3)
        #expect(command.poll)
    }

    @Test func osFlagsOverrideTheEnvironment() throws {
        let command = try ShowServer.parse(["--os-username", "alice", "--os-compute-api-version", "2.60", "vm1"])
        let settings = command.global.settings(environment: ["OS_USERNAME": "bob", "OS_PASSWORD": "p"])
        #expect(settings.username == "alice")
        #expect(settings.password == "p")
        #expect(settings.computeAPIVersion == "2.60")
    }

    @Test func moveCommandsSendNovasBodies() throws {
        #expect(try MigrateServer.parse(["vm1"]).body == ["migrate": .null])
        #expect(try MigrateServer.parse(["--host", "c2", "vm1"]).body == ["migrate": ["host": "c2"]])
        #expect(
            try LiveMigrateServer.parse(["vm1"]).body == ["os-migrateLive": ["host": .null, "block_migration": "auto"]])
        let block = try LiveMigrateServer.parse(["--block-migrate", "vm1", "c2"])
        #expect(block.body == ["os-migrateLive": ["host": "c2", "block_migration": true]])
        #expect(try ResizeServer.parse(["--poll", "vm1", "m1.small"]).flavor == "m1.small")
        #expect(try GetVNCConsole.parse(["vm1", "novnc"]).consoleType == "novnc")
        #expect(try ConsoleLog.parse(["--length", "5", "vm1"]).length == 5)
    }

    @Test func actionBodiesAreNovas() throws {
        #expect(try ResetState.parse(["vm1"]).actionBody == ["os-resetState": ["state": "error"]])
        #expect(try ResetState.parse(["--active", "vm1"]).actionBody == ["os-resetState": ["state": "active"]])
        #expect(try LockServers.parse(["--reason", "audit", "vm1"]).actionBody == ["lock": ["locked_reason": "audit"]])
        #expect(try StopServers.parse(["a", "b"]).servers == ["a", "b"])
    }

    @Test func aggregateMetadataSetsAndUnsets() {
        #expect(
            AggregateSetMetadata.changes(["ssd=true", "old", "note=a=b"]) == [
                "ssd": "true", "old": .null, "note": "a=b",
            ])
    }

    @Test func jsonFormatAndBadInput() throws {
        #expect(try ListServers.parse(["--format", "json"]).global.format == .json)
        #expect(throws: (any Error).self) { try ListServers.parse(["--format", "yaml"]) }
        #expect(throws: (any Error).self) { try BootServer.parse(["--image", "x", "web"]) }
        #expect(throws: (any Error).self) { try FlavorCreate.parse(["f", "auto", "lots", "1", "1"]) }
    }

    @Test func serverGroupCommands() throws {
        let create = try ServerGroupCreate.parse(["g1", "anti-affinity", "--rule", "max_server_per_host=2"])
        #expect(create.name == "g1" && create.policy == "anti-affinity" && create.rule == ["max_server_per_host=2"])
        #expect(try ServerGroupList.parse(["--all-projects", "--limit", "5"]).allProjects)
        #expect(try ServerGroupDelete.parse(["a", "b"]).groups == ["a", "b"])
        #expect(throws: (any Error).self) { try ServerGroupCreate.parse(["only-a-name"]) }
    }
}
