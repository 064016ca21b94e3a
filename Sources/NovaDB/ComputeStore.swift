import Foundation
import NovaCore
import SQLKit

/// The compute database: instances, their actions, services, compute nodes, allocations, flavors, keypairs
/// and quotas. The API, the conductor and the scheduler use it; compute hosts never do.
public final class ComputeStore: Sendable {
    public let database: Database
    /// Seconds without a heartbeat after which a service counts as down (`[DEFAULT] service_down_time`).
    public let serviceDownTime: TimeInterval

    /// The private network servers get addresses on (`[DEFAULT] fixed_range`).
    public let privateNetwork: IPv4Network
    /// Listing reuses the decoding of rows that did not change since the last list.
    let decodedInstances = DecodedInstances()
    /// Counts, in the database, every change the scheduler's cached host state depends on (services
    /// enabled, disabled or deleted, new compute nodes, aggregates), in the transaction of the change: a
    /// scheduler in any process sees it on its next request.
    static func hostStateChanged(_ sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE host_state SET version = version + 1 WHERE singleton = 1").run()
    }

    public init(
        database: Database, serviceDownTime: TimeInterval = 60,
        privateNetwork: IPv4Network = IPv4Network(parsing: "10.0.0.0/16")!
    ) {
        self.database = database
        self.serviceDownTime = serviceDownTime
        self.privateNetwork = privateNetwork
    }
}

/// How to list servers: the filters Nova's `GET /servers` applies in the database.
public struct InstanceListQuery: Sendable {
    public var projectID: String?
    public var host: String?
    public var includeDeleted: Bool
    public var onlyDeleted: Bool
    public var changesSince: Date?
    public var changesBefore: Date?
    public var vmStates: [VMState]?
    public var uuids: [String]?
    public var reservationID: String?
    /// Keyset paging done in SQL: only rows after this (created_at, uuid) in the newest-first order.
    public var after: (createdAt: Date, uuid: String)?
    /// At most this many rows (SQL LIMIT).
    public var limit: Int?

    public init(
        projectID: String? = nil, host: String? = nil, includeDeleted: Bool = false, onlyDeleted: Bool = false,
        changesSince: Date? = nil, changesBefore: Date? = nil, vmStates: [VMState]? = nil, uuids: [String]? = nil,
        reservationID: String? = nil
    ) {
        self.projectID = projectID
        self.host = host
        self.includeDeleted = includeDeleted
        self.onlyDeleted = onlyDeleted
        self.changesSince = changesSince
        self.changesBefore = changesBefore
        self.vmStates = vmStates
        self.uuids = uuids
        self.reservationID = reservationID
    }
}
