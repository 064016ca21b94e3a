import NovaCore
import OVSDB

/// The host's Open vSwitch database (`[os_vif_ovs] ovsdb_connection`), for plugging guests' taps into the
/// integration bridge as os-vif does: a Port and Interface named after the tap, with the external ids
/// ovn-controller binds the logical port by (`iface-id`, `attached-mac`, `vm-uuid`, `iface-status`).
/// Rows are written once the device exists and is up (Open vSwitch would set a device it opened while it was
/// down down again when it adds it to its datapath).
public struct OVSPorts: Sendable {
    public var connection: String

    public init(connection: String) {
        self.connection = connection
    }

    static let database = "Open_vSwitch"

    /// Adds (or replaces) the guest NIC's port on its bridge.
    public func plug(_ vif: GuestVIF, instanceUUID: String) async throws {
        try await plug(
            vif.devname, bridge: vif.bridge ?? "br-int",
            externalIDs: [
                "iface-id": vif.portID, "attached-mac": vif.mac, "vm-uuid": instanceUUID, "iface-status": "active",
            ])
    }

    /// Adds (or replaces) the port of the device `name` on `bridge`, with the interface's `externalIDs`.
    public func plug(_ name: String, bridge: String, externalIDs: [String: String]) async throws {
        let client = try await OVSDBClient.connect(to: connection)
        defer { Task { await client.close() } }
        var operations = try await removal(name, client)
        operations += [
            .insert(
                "Interface", ["name": .string(name), "external_ids": .map(externalIDs)], uuidName: "nic"),
            .insert("Port", ["name": .string(name), "interfaces": .namedUUID("nic")], uuidName: "port"),
            .mutate(
                "Bridge", where: [.equals("name", .string(bridge))],
                [OVSDBMutation("ports", "insert", .set([.namedUUID("port")]))]),
            // Fails the transaction when the bridge is not there (the mutate above matched nothing).
            .wait(
                "Bridge", where: [.equals("name", .string(bridge))], columns: ["name"], until: "==",
                rows: [["name": .string(bridge)]]),
        ]
        do {
            try await client.transact(Self.database, operations)
        } catch let error as OVSDBError {
            throw NovaError.internalError("Open vSwitch did not take \(name) on \(bridge): \(error)")
        }
    }

    /// Removes the NIC's port from whatever bridge holds it (nothing when there is none).
    public func unplug(_ vif: GuestVIF) async throws { try await unplug(vif.devname) }

    /// Removes the port named `name` from whatever bridge holds it (nothing when there is none).
    public func unplug(_ name: String) async throws {
        let client = try await OVSDBClient.connect(to: connection)
        defer { Task { await client.close() } }
        let operations = try await removal(name, client)
        if !operations.isEmpty { try await client.transact(Self.database, operations) }
    }

    /// Takes the port named `name` out of every bridge (the database then drops it and its interface).
    func removal(_ name: String, _ client: OVSDBClient) async throws -> [OVSDBOperation] {
        let found = try await client.transact(
            Self.database, [.select("Port", where: [.equals("name", .string(name))], columns: ["_uuid"])])
        let ports = (found.first?["rows"]?.arrayValue ?? []).compactMap { $0["_uuid"] }
        guard !ports.isEmpty else { return [] }
        return [.mutate("Bridge", where: [], [OVSDBMutation("ports", "delete", .set(ports))])]
    }
}
