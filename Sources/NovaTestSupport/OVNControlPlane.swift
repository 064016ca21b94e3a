import Foundation
import OVSDB

/// OVN's control plane for a test: the northbound and southbound ovsdb-servers and ovn-northd between them,
/// each in a private folder, started by the test and stopped by their PIDs. A test plays ovn-controller by
/// writing chassis and port claims into the southbound database.
public struct OVNControlPlane: Sendable {
    public static let northd = "/usr/bin/ovn-northd"
    public static let northboundSchema = "/usr/share/ovn/ovn-nb.ovsschema"
    public static let southboundSchema = "/usr/share/ovn/ovn-sb.ovsschema"
    public static var available: Bool {
        OVSDBServerProcess.available && FileManager.default.isExecutableFile(atPath: northd)
            && FileManager.default.fileExists(atPath: northboundSchema)
    }

    public let northbound: OVSDBServerProcess
    public let southbound: OVSDBServerProcess
    public let northdProcess: Process

    public static func start() async throws -> OVNControlPlane {
        let northbound = try OVSDBServerProcess.start(schema: northboundSchema)
        let southbound = try OVSDBServerProcess.start(schema: southboundSchema)
        // `ovn-nbctl init`: the NB_Global row northd reads.
        let client = try await OVSDBClient.connect(to: northbound.remote)
        try await client.transact("OVN_Northbound", [.insert("NB_Global", [:])])
        await client.close()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: northd)
        let folder = northbound.directory
        process.arguments = [
            "--ovnnb-db=" + northbound.remote, "--ovnsb-db=" + southbound.remote,
            "--pidfile=" + folder + "/northd.pid", "--unixctl=" + folder + "/northd.ctl",
            "--log-file=" + folder + "/northd.log",
        ]
        process.environment = ["OVN_RUNDIR": folder, "OVS_RUNDIR": folder]
        try process.run()
        return OVNControlPlane(northbound: northbound, southbound: southbound, northdProcess: process)
    }

    public func stop() {
        kill(northdProcess.processIdentifier, SIGTERM)
        for _ in 0..<10 where northdProcess.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if northdProcess.isRunning { kill(northdProcess.processIdentifier, SIGKILL) }
        northdProcess.waitUntilExit()
        northbound.stop()
        southbound.stop()
    }

    /// Registers a chassis as ovn-controller would (`hostname` is the compute host's name), optionally as a
    /// gateway chassis; `tunnelIP` is its tunnel endpoint (one per chassis).
    public func addChassis(_ name: String, hostname: String, tunnelIP: String, gateway: Bool = false) async throws {
        let client = try await OVSDBClient.connect(to: southbound.remote)
        defer { Task { await client.close() } }
        var config = ["datapath-type": "netdev"]
        if gateway { config["ovn-cms-options"] = "enable-chassis-as-gw" }
        try await client.transact(
            "OVN_Southbound",
            [
                .insert(
                    "Encap", ["type": "geneve", "ip": .string(tunnelIP), "chassis_name": .string(name)],
                    uuidName: "encap"),
                .insert(
                    "Chassis",
                    [
                        "name": .string(name), "hostname": .string(hostname), "encaps": .namedUUID("encap"),
                        "other_config": .map(config),
                    ]),
            ])
    }

    /// Claims (or releases) a logical port on a chassis, as ovn-controller does when the port's interface
    /// appears on its br-int: northd then sets the northbound port `up`.
    public func claim(port: String, chassis: String?, up: Bool = true) async throws {
        let client = try await OVSDBClient.connect(to: southbound.remote)
        defer { Task { await client.close() } }
        for _ in 0..<100 {
            let found = try await client.transact(
                "OVN_Southbound", [.select("Port_Binding", where: [.equals("logical_port", .string(port))])])
            if found.first?["rows"]?.arrayValue?.isEmpty == false { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        var operations: [OVSDBOperation] = []
        var row: [String: OVSDBValue] = ["up": .set([.bool(up && chassis != nil)])]
        if let chassis {
            operations.append(.select("Chassis", where: [.equals("name", .string(chassis))], columns: ["_uuid"]))
            let rows = try await client.transact("OVN_Southbound", operations)
            guard let uuid = rows.first?["rows"]?.arrayValue?.first?["_uuid"]?.uuidValue else {
                throw OVSDBError.protocolViolation("no chassis \(chassis)")
            }
            row["chassis"] = .uuid(uuid)
        } else {
            row["chassis"] = .set([])
        }
        try await client.transact(
            "OVN_Southbound", [.update("Port_Binding", where: [.equals("logical_port", .string(port))], row)])
    }
}
