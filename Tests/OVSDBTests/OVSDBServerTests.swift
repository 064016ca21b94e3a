import Foundation
import OVSDB
import NovaTestSupport
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
