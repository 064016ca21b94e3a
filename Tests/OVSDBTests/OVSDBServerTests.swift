import Foundation
import OVSDB
import Testing

/// The client against a real ovsdb-server (Debian's openvswitch-switch) serving OVN's northbound schema,
/// started by the test on a private Unix socket and stopped by its PID.
@Suite(.enabled(if: OVSDBServerProcess.available)) struct OVSDBServerTests {
    @Test func transactsMonitorsAndReportsFailedOperations() async throws {
        let server = try OVSDBServerProcess.start(schema: "/usr/share/ovn/ovn-nb.ovsschema")
        defer { server.stop() }
        let client = try await OVSDBClient.connect(to: server.remote)
        let dbs = try await client.listDatabases()
        #expect(dbs.contains("OVN_Northbound"))
        let schema = try await client.schema("OVN_Northbound")
        #expect(schema["tables"]?["Logical_Switch"] != nil)

        let initial = try await client.monitorConditional(
            "OVN_Northbound", id: "switches", tables: ["Logical_Switch": ["name", "other_config"]])
        #expect(initial["Logical_Switch"] == nil || initial["Logical_Switch"] == [:])
        let made = try await client.transact(
            "OVN_Northbound",
            [
                .insert(
                    "Logical_Switch", ["name": "neutron-1", "other_config": .map(["mtu": "1442"])],
                    uuidName: "ls"),
                .insert(
                    "Logical_Switch_Port", ["name": "port-1", "addresses": .set(["fa:16:3e:00:00:01 10.0.0.5"])],
                    uuidName: "lsp"),
                .mutate(
                    "Logical_Switch", where: [.equals("name", "neutron-1")],
                    [
                        OVSDBMutation("ports", "insert", .set([.namedUUID("lsp")]))
                    ]),
            ])
        let switchID = try #require(made.first?["uuid"]?.uuidValue)
        var iterator = client.updates.makeAsyncIterator()
        let update = try #require(await iterator.next())
        #expect(update.monitor == "switches" && update.method == "update2")
        #expect(update.tables["Logical_Switch"]?[switchID]?["insert"]?["name"] == "neutron-1", "\(update)")

        let rows = try await client.transact(
            "OVN_Northbound", [.select("Logical_Switch", where: [.uuid(switchID)], columns: ["ports", "other_config"])])
        let row = try #require(rows.first?["rows"]?.arrayValue?.first)
        #expect(row["other_config"]?.stringMap == ["mtu": "1442"] && row["ports"]?.setElements.count == 1)

        // A failed operation fails the whole transaction: the switch above stays, the new one is not made.
        await #expect(throws: OVSDBError.self) {
            try await client.transact(
                "OVN_Northbound",
                [
                    .insert("Logical_Switch", ["name": "never"]),
                    .update("Logical_Switch", where: [.uuid(switchID)], ["no_such_column": 1]),
                ])
        }
        let after = try await client.transact("OVN_Northbound", [.select("Logical_Switch", columns: ["name"])])
        #expect(after.first?["rows"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["neutron-1"])
        try await client.echo()
        await client.close()
        #expect(await client.isClosed)
    }
}

/// ovsdb-server on a database made from `schema`, in a temporary directory, with its own pidfile.
struct OVSDBServerProcess {
    static let server = "/usr/sbin/ovsdb-server"
    static let tool = "/usr/bin/ovsdb-tool"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: server) && FileManager.default.isExecutableFile(atPath: tool)
    }

    let directory: String
    let process: Process
    var remote: String { "unix:" + directory + "/db.sock" }

    static func start(schema: String) throws -> OVSDBServerProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ovsdb-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let create = Process()
        create.executableURL = URL(fileURLWithPath: tool)
        create.arguments = ["create", directory + "/db", schema]
        try create.run()
        create.waitUntilExit()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: server)
        process.arguments = [
            directory + "/db", "--remote=punix:" + directory + "/db.sock", "--pidfile=" + directory + "/db.pid",
            "--unixctl=" + directory + "/db.ctl", "--log-file=" + directory + "/db.log",
        ]
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: directory + "/db.sock") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        return OVSDBServerProcess(directory: directory, process: process)
    }

    /// SIGTERM by its PID, then SIGKILL: a test process that ignores SIGTERM (the cloud's own signal
    /// handling) passes that on to the server it starts, and ovsdb-server keeps an ignored signal ignored.
    func stop() {
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<10 where process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
