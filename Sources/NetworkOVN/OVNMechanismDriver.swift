import Foundation
import Logging
import NetworkCore
import NovaCore
import OVSDB

/// `[ovn]`: where the OVN databases are and how the driver keeps them in step.
public struct OVNOptions: Sendable, Equatable {
    /// `[ovn] ovn_nb_connection`: `unix:/path` or `tcp:host:port`.
    public var northbound: String
    /// `[ovn] ovn_sb_connection`: where the chassis are found (binding checks, gateway scheduling); nil binds
    /// to any host.
    public var southbound: String?
    public var topology = OVNTopologyOptions()
    /// How often the drift repair compares the records with the northbound database (Neutron's maintenance
    /// runs every 5 minutes); it also runs at each (re)connection.
    public var repairInterval: Duration = .seconds(300)
    /// `[ovn] ovn_metadata_enabled`: each network with DHCP gets a metadata port for the hosts' metadata
    /// agents.
    public var metadataEnabled = true

    public init(northbound: String, southbound: String? = nil) {
        self.northbound = northbound
        self.southbound = southbound
    }
}

/// `[ml2] mechanism_drivers = ovn`: writes the networking records into OVN's northbound database within
/// the API call (the call answers once OVN accepted the transaction), binds ports to the chassis of their
/// host, reports a port ACTIVE when its logical port comes `up`, and repairs drift between the records and
/// the database.
public actor OVNMechanismDriver: MechanismDriver {
    public nonisolated var name: String { "ovn" }
    public nonisolated var wantsMetadataPorts: Bool { options.metadataEnabled }
    let options: OVNOptions
    let records: any NetworkRecordSource
    let topology: OVNTopology
    let logger = Logger(label: "neutron.ovn")
    /// The northbound tables the driver owns, kept current by a monitor.
    let northbound: OVSDBReplica
    let southbound = OVSDBReplica()
    private var nb: OVSDBClient?
    private var sb: OVSDBClient?
    /// One sync at a time: each reads the replica its predecessor's transaction updated.
    private let writes = AsyncLock()
    private var statuses: (any PortStatusSink)?
    private var background: Task<Void, Never>?
    private let links: AsyncStream<(String, Bool)>.Continuation
    private let linkReports: AsyncStream<(String, Bool)>
    /// Completed drift repairs (for tests and the log).
    public private(set) var repairs = 0

    public init(options: OVNOptions, records: any NetworkRecordSource) {
        self.options = options
        self.records = records
        self.topology = OVNTopology(options: options.topology)
        let (stream, continuation) = AsyncStream.makeStream(of: (String, Bool).self)
        linkReports = stream
        links = continuation
        northbound = OVSDBReplica { changes in
            for change in changes where change.table == "Logical_Switch_Port" {
                let was = Self.isUp(change.old)
                let now = Self.isUp(change.new)
                guard was != now, change.new != nil, let name = change.new?["name"]?.stringValue else { continue }
                continuation.yield((name, now))
            }
        }
    }

    // MARK: Connection and background work

    public func start(statuses: any PortStatusSink) async {
        self.statuses = statuses
        do {
            try await connect()
            try await repair()
        } catch {
            logger.error("OVN northbound \(options.northbound) not reached: \(error); retrying in the background")
        }
        background = Task { await self.runBackground() }
    }

    /// Link reports to the networking service, reconnection and the periodic drift repair.
    private func runBackground() async {
        let reports = Task {
            for await (port, up) in linkReports { await statuses?.portLinkChanged(portID: port, up: up) }
        }
        var lastRepair = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let disconnected = await nb?.isClosed ?? true
            if disconnected || ContinuousClock.now - lastRepair >= options.repairInterval {
                do {
                    if disconnected { try await connect() }
                    try await repair()
                    lastRepair = .now
                } catch {
                    logger.warning("OVN drift repair failed: \(error)")
                }
            }
        }
        reports.cancel()
    }

    public func stop() async {
        background?.cancel()
        links.finish()
        await nb?.close()
        await sb?.close()
    }

    private func connect() async throws {
        let client = try await OVSDBClient.connect(to: options.northbound)
        northbound.reset()
        try await client.monitor(
            "OVN_Northbound", id: "neutron-nb",
            tables: Dictionary(uniqueKeysWithValues: OVNIdentity.tables.map { ($0, nil as [String]?) }),
            into: northbound)
        nb = client
        if let remote = options.southbound {
            let client = try await OVSDBClient.connect(to: remote)
            southbound.reset()
            try await client.monitor(
                "OVN_Southbound", id: "neutron-sb",
                tables: ["Chassis": ["name", "hostname", "other_config", "external_ids"]], into: southbound)
            sb = client
        }
    }

    // MARK: MechanismDriver

    public func changed(_ change: ResourceChange) async throws {
        guard let nb, await !nb.isClosed else {
            // Stored but not written: the repair after reconnecting writes it.
            logger.warning("OVN northbound not connected: \(options.northbound); the change waits for the repair")
            return
        }
        let parts = OVNDesiredState.Parts(change)
        await writes.lock()
        defer { Task { await writes.unlock() } }
        let state = try await OVNDesiredState.build(
            parts, records: records, topology: topology, gatewayChassis: gatewayChassis())
        var rows = state.rows
        if !parts.securityGroups.isEmpty || !parts.ports.isEmpty { rows += topology.dropGroupRows() }
        try await write(rows, scope: state.scope, via: nb)
        if case .port(let port) = change.current { reportLinkIfClaimed(port, linkStates()) }
    }

    public func bind(_ port: NetworkPort, host: String) async throws -> BindingResult? {
        var datapath = "system"
        if options.southbound != nil {
            guard let chassis = chassis(host: host) else { return nil }
            datapath = chassis.other_config["datapath-type"] ?? chassis.external_ids["datapath-type"] ?? "system"
        }
        let details: OVSDBValue = [
            "port_filter": true, "connectivity": "l2", "bridge_name": "br-int",
            "datapath_type": .string(datapath.isEmpty ? "system" : datapath),
        ]
        return BindingResult(
            vifType: "ovs", vifDetails: String(decoding: details.serialized(), as: UTF8.self), activeOnBind: false)
    }

    // MARK: Writes

    /// Makes the scope's rows what the records want, in one transaction.
    private func write(_ rows: [OVNRow], scope: OVNScope, via client: OVSDBClient) async throws {
        let operations = OVNSync(northbound.snapshot()).operations(desired: rows, scope: scope)
        guard !operations.isEmpty else { return }
        try await client.transact("OVN_Northbound", operations)
    }

    /// Compares everything the records want with everything the driver manages in the database, and writes
    /// the difference (missing rows made, stale ones removed, changed ones corrected); the number of
    /// operations written.
    @discardableResult
    public func repair() async throws -> Int {
        guard let nb, await !nb.isClosed else { throw OVSDBError.connectionClosed }
        await writes.lock()
        defer { Task { await writes.unlock() } }
        let rows = try await OVNDesiredState.everything(
            records: records, topology: topology, gatewayChassis: gatewayChassis())
        let operations = OVNSync(northbound.snapshot()).operations(desired: rows, scope: nil)
        if !operations.isEmpty {
            logger.info("OVN drift repair: \(operations.count) operation(s)")
            try await nb.transact("OVN_Northbound", operations)
        }
        repairs += 1
        // Ports whose link came up while nothing was listening.
        let links = linkStates()
        for port in try await records.ports(ids: nil, networkIDs: nil, deviceIDs: nil, projectID: nil) {
            reportLinkIfClaimed(port, links)
        }
        return operations.count
    }

    /// A bound port whose logical port is up but which is not ACTIVE (its link came up before it was bound
    /// here, or while the service was away), and the reverse, are reported.
    private func reportLinkIfClaimed(_ port: NetworkPort, _ states: [String: Bool]) {
        guard !port.binding.hostID.isEmpty, !OVNTopology.isRouterPort(port), !OVNTopology.isIgnored(port) else {
            return
        }
        let up = states[port.id] ?? false
        if up != (port.status == "ACTIVE") { links.yield((port.id, up)) }
    }

    /// Each logical switch port's `up`, by name.
    private func linkStates() -> [String: Bool] {
        var states: [String: Bool] = [:]
        for row in northbound.rows("Logical_Switch_Port").values {
            guard let name = row["name"]?.stringValue else { continue }
            states[name] = Self.isUp(row)
        }
        return states
    }

    static func isUp(_ row: OVSDBRow?) -> Bool {
        row?["up"].flatMap(OVNIdentity.atom)?.boolValue ?? false
    }

    // MARK: Chassis

    struct Chassis {
        var name: String
        var hostname: String
        var other_config: [String: String]
        var external_ids: [String: String]
    }

    func chassisList() -> [Chassis] {
        southbound.rows("Chassis").values.map { row in
            Chassis(
                name: row["name"]?.stringValue ?? "", hostname: row["hostname"]?.stringValue ?? "",
                other_config: row["other_config"]?.stringMap ?? [:], external_ids: row["external_ids"]?.stringMap ?? [:]
            )
        }.sorted { $0.name < $1.name }
    }

    /// The chassis of a host: by its hostname (ovn-controller's `external_ids:hostname` or the system's)
    /// or its name.
    func chassis(host: String) -> Chassis? {
        chassisList().first { $0.hostname == host || $0.name == host }
    }

    /// Chassis that may carry router gateways (`ovn-cms-options=enable-chassis-as-gw`).
    func gatewayChassis() -> [String] {
        chassisList().filter { chassis in
            let cms = chassis.other_config["ovn-cms-options"] ?? chassis.external_ids["ovn-cms-options"] ?? ""
            return cms.split(separator: ",").contains("enable-chassis-as-gw")
        }.map(\.name)
    }
}

extension ResourceChange {
    /// The resource as it is now (nil when deleted).
    var current: NetworkResource? {
        switch self {
        case .created(let resource): resource
        case .updated(_, let new): new
        case .deleted: nil
        }
    }
}
