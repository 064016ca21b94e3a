import Foundation
import NovaCore
import SQLKit
import Synchronization

/// One server as the EC2 front end groups it: its reservation, its place in it, and, once terminated, what it
/// last looked like (EC2 shows terminated instances for a while).
public struct EC2Reservation: Sendable, Equatable {
    public var instanceUUID: String
    public var reservationID: String
    public var projectID: String
    public var clientToken: String?
    public var launchIndex: Int
    public var terminatedAt: Date?
    /// The server's last description (JSON), kept once it is terminated.
    public var lastSeen: String?
    /// The user data RunInstances gave (base64), for DescribeInstanceAttribute: members cannot read it back
    /// from the compute API.
    public var userData: String?

    public init(instanceUUID: String, reservationID: String, projectID: String, clientToken: String?, launchIndex: Int)
    {
        self.instanceUUID = instanceUUID
        self.reservationID = reservationID
        self.projectID = projectID
        self.clientToken = clientToken
        self.launchIndex = launchIndex
    }
}

/// The EC2 front end's own records: EC2 ids (`i-`, `ami-`, `r-`... and 17 hex digits) for OpenStack's
/// UUIDs, made on first sight and never reused, and the reservations of servers.
public final class EC2Store: Sendable {
    let database: Database
    /// Per kind, UUID -> EC2 id and the reverse: a name never changes once made, so every process may keep it.
    let names = Mutex<(byUUID: [String: [String: String]], byID: [String: [String: String]], count: Int)>(([:], [:], 0))
    /// Instance UUID -> its reservation's fixed fields (id, project, index, client token), which never change.
    let placed = Mutex<[String: EC2Reservation]>([:])
    /// The most names and reservations kept in memory (past it they are read again).
    static let cacheLimit = 200_000

    public init(database: Database) { self.database = database }

    func remember(kind: String, _ pairs: [String: String]) {
        names.withLock { names in
            if names.count > Self.cacheLimit { names = ([:], [:], 0) }
            for (uuid, id) in pairs {
                if names.byUUID[kind, default: [:]].updateValue(id, forKey: uuid) == nil { names.count += 1 }
                names.byID[kind, default: [:]][id] = uuid
            }
        }
    }

    /// A new EC2 id of a kind: 17 random hex digits, as EC2's new ids.
    public static func newID(_ kind: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = (0..<17).map { _ in String(Int.random(in: 0..<16, using: &generator), radix: 16) }
        return kind + "-" + digits.joined()
    }

    /// The EC2 ids of `uuids` of one kind, made for those that have none yet.
    public func ec2IDs(kind: String, uuids: [String]) async throws -> [String: String] {
        var found: [String: String] = [:]
        var unknown: [String] = []
        names.withLock { names in
            let known = names.byUUID[kind] ?? [:]
            for uuid in Set(uuids) {
                if let id = known[uuid] { found[uuid] = id } else { unknown.append(uuid) }
            }
        }
        let wanted = unknown
        guard !wanted.isEmpty else { return found }
        found.merge(try await known(kind: kind, uuids: wanted)) { old, _ in old }
        let missing = wanted.filter { found[$0] == nil }
        guard !missing.isEmpty else { return found }
        let now = Date().stored
        try await database.write { sql in
            for uuid in missing { try await Self.name(kind: kind, uuid: uuid, at: now, in: sql) }
        }
        found.merge(try await known(kind: kind, uuids: missing)) { old, _ in old }
        return found
    }

    public func ec2ID(kind: String, uuid: String) async throws -> String {
        guard let id = try await ec2IDs(kind: kind, uuids: [uuid])[uuid] else {
            throw NovaError.internalError("no EC2 id could be made for \(uuid)")
        }
        return id
    }

    func known(kind: String, uuids: [String]) async throws -> [String: String] {
        let result = try await database.read { sql in try await Self.names(kind: kind, uuids: uuids, in: sql) }
        remember(kind: kind, result)
        return result
    }

    /// Names a UUID: the new name, or nil when another front end named it meanwhile (the unique index keeps
    /// the first name).
    @discardableResult
    static func name(kind: String, uuid: String, at now: Double, in sql: any SQLDatabase) async throws -> String? {
        try await sql.raw(
            """
            INSERT INTO ec2_ids (ec2_id, kind, uuid, created_at)
            VALUES (\(bind: newID(kind)), \(bind: kind), \(bind: uuid), \(bind: now))
            ON CONFLICT DO NOTHING RETURNING ec2_id
            """
        ).first().map { try $0.string("ec2_id") }
    }

    /// The stored names of `uuids` of one kind.
    static func names(kind: String, uuids: [String], in sql: any SQLDatabase) async throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try await sql.raw(
            "SELECT ec2_id, uuid FROM ec2_ids WHERE kind = \(bind: kind) AND uuid IN (\(binds: uuids))"
        ).all() {
            result[try row.string("uuid")] = try row.string("ec2_id")
        }
        return result
    }

    /// The UUIDs of EC2 ids of one kind (ids never made are absent).
    public func uuids(kind: String, ec2IDs: [String]) async throws -> [String: String] {
        var result: [String: String] = [:]
        var unknown: [String] = []
        names.withLock { names in
            let known = names.byID[kind] ?? [:]
            for id in Set(ec2IDs) {
                if let uuid = known[id] { result[id] = uuid } else { unknown.append(id) }
            }
        }
        guard !unknown.isEmpty else { return result }
        let read = try await database.read { sql in
            var read: [String: String] = [:]
            for row in try await sql.raw(
                "SELECT ec2_id, uuid FROM ec2_ids WHERE kind = \(bind: kind) AND ec2_id IN (\(binds: unknown))"
            ).all() {
                read[try row.string("ec2_id")] = try row.string("uuid")
            }
            return read
        }
        remember(kind: kind, Dictionary(read.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first }))
        return result.merging(read) { old, _ in old }
    }

    static func reservation(from row: any SQLRow) throws -> EC2Reservation {
        var reservation = EC2Reservation(
            instanceUUID: try row.string("instance_uuid"), reservationID: try row.string("reservation_id"),
            projectID: try row.string("project_id"), clientToken: try row.optionalString("client_token"),
            launchIndex: try row.int("launch_index"))
        reservation.terminatedAt = try row.optionalDate("terminated_at")
        reservation.lastSeen = try row.optionalString("last_seen")
        reservation.userData = try row.optionalString("user_data")
        return reservation
    }

    /// The user data RunInstances gave a server.
    public func userData(instanceUUID: String) async throws -> String? {
        try await database.read { sql in
            try await sql.raw(
                "SELECT user_data FROM ec2_reservations WHERE instance_uuid = \(bind: instanceUUID)"
            ).first().flatMap { try $0.optionalString("user_data") }
        }
    }

    /// Records reservations, and names their instances (`i-`) in the same transaction; a server already
    /// recorded keeps its reservation and its name. Both are then in memory: RunInstances describes them next.
    public func record(_ reservations: [EC2Reservation]) async throws {
        guard !reservations.isEmpty else { return }
        let now = Date().stored
        let uuids = reservations.map(\.instanceUUID)
        let (names, stored) = try await database.write { sql in
            // What this transaction wrote comes back from the INSERTs; only what was there before is read.
            var names: [String: String] = [:]
            var stored: [EC2Reservation] = []
            for reservation in reservations {
                let inserted = try await sql.raw(
                    """
                    INSERT INTO ec2_reservations (instance_uuid, reservation_id, project_id, client_token,
                      launch_index, user_data, created_at)
                    VALUES (\(bind: reservation.instanceUUID), \(bind: reservation.reservationID),
                      \(bind: reservation.projectID), \(bind: reservation.clientToken),
                      \(bind: reservation.launchIndex), \(bind: reservation.userData), \(bind: now))
                    ON CONFLICT DO NOTHING RETURNING instance_uuid
                    """
                ).first()
                if inserted != nil { stored.append(reservation) }
                names[reservation.instanceUUID] = try await Self.name(
                    kind: "i", uuid: reservation.instanceUUID, at: now, in: sql)
            }
            let unnamed = uuids.filter { names[$0] == nil }
            if !unnamed.isEmpty {
                names.merge(try await Self.names(kind: "i", uuids: unnamed, in: sql)) { new, _ in new }
            }
            let unstored = Set(uuids).subtracting(stored.map(\.instanceUUID))
            if !unstored.isEmpty {
                stored += try await sql.raw(
                    "SELECT * FROM ec2_reservations WHERE instance_uuid IN (\(binds: Array(unstored)))"
                ).all().map(Self.reservation(from:))
            }
            return (names, stored)
        }
        remember(kind: "i", names)
        place(stored)
    }

    /// Keeps reservations' fixed fields in memory.
    func place(_ reservations: [EC2Reservation]) {
        placed.withLock { placed in
            if placed.count > Self.cacheLimit { placed.removeAll() }
            for var reservation in reservations {
                reservation.terminatedAt = nil
                reservation.lastSeen = nil
                reservation.userData = nil
                placed[reservation.instanceUUID] = reservation
            }
        }
    }

    /// The reservations of a project's servers `uuids`: their fixed fields (id, index, client token), kept in
    /// memory once read.
    public func reservations(projectID: String, uuids: [String]) async throws -> [EC2Reservation] {
        var found: [EC2Reservation] = []
        var unknown: [String] = []
        placed.withLock { placed in
            for uuid in uuids {
                if let reservation = placed[uuid] {
                    if reservation.projectID == projectID { found.append(reservation) }
                } else {
                    unknown.append(uuid)
                }
            }
        }
        guard !unknown.isEmpty else { return found }
        let read = try await database.read { sql in
            try await sql.raw(
                """
                SELECT instance_uuid, reservation_id, project_id, client_token, launch_index FROM ec2_reservations
                WHERE instance_uuid IN (\(binds: unknown))
                """
            ).all().map { row in
                EC2Reservation(
                    instanceUUID: try row.string("instance_uuid"), reservationID: try row.string("reservation_id"),
                    projectID: try row.string("project_id"), clientToken: try row.optionalString("client_token"),
                    launchIndex: try row.int("launch_index"))
            }
        }
        place(read)
        return found + read.filter { $0.projectID == projectID }
    }

    /// A project's servers terminated since `date` (EC2 still shows them).
    public func terminated(projectID: String, since date: Date) async throws -> [EC2Reservation] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT * FROM ec2_reservations WHERE project_id = \(bind: projectID)
                  AND terminated_at IS NOT NULL AND terminated_at > \(bind: date.stored)
                """
            ).all().map(Self.reservation(from:))
        }
    }

    /// The servers a project's earlier RunInstances with this client token made.
    public func reservations(projectID: String, clientToken: String) async throws -> [EC2Reservation] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT * FROM ec2_reservations WHERE project_id = \(bind: projectID)
                  AND client_token = \(bind: clientToken) ORDER BY launch_index
                """
            ).all().map(Self.reservation(from:))
        }
    }

    /// Marks a server terminated, keeping its last description.
    public func terminated(instanceUUID: String, lastSeen: String, at date: Date) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE ec2_reservations SET terminated_at = \(bind: date.stored), last_seen = \(bind: lastSeen)
                WHERE instance_uuid = \(bind: instanceUUID) AND terminated_at IS NULL
                """
            ).run()
        }
    }
}
