import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    static func save(_ instance: Instance, in sql: any SQLDatabase) async throws {
        let data = try StoredJSON.encode(instance)
        try await sql.raw(
            """
            INSERT INTO instances (uuid, project_id, user_id, host, display_name, vm_state, task_state, vcpus, memory_mb,
              created_at, updated_at, deleted, reservation_id, data)
            VALUES (\(bind: instance.uuid), \(bind: instance.projectID), \(bind: instance.userID), \(bind: instance.host),
              \(bind: instance.displayName), \(bind: instance.vmState.rawValue), \(bind: instance.taskState?.rawValue),
              \(bind: instance.flavor.vcpus), \(bind: instance.flavor.memoryMB), \(bind: instance.createdAt.stored),
              \(bind: instance.updatedAt.stored), \(bind: instance.isDeleted ? 1 : 0), \(bind: instance.reservationID),
              \(bind: data))
            ON CONFLICT (uuid) DO UPDATE SET host = excluded.host, display_name = excluded.display_name,
              vm_state = excluded.vm_state, task_state = excluded.task_state, updated_at = excluded.updated_at,
              deleted = excluded.deleted, data = excluded.data
            """
        ).run()
    }

    static func load(uuid: String, in sql: any SQLDatabase) async throws -> Instance? {
        guard let row = try await sql.raw("SELECT data FROM instances WHERE uuid = \(bind: uuid)").first() else {
            return nil
        }
        return try StoredJSON.decode(Instance.self, try row.string("data"))
    }

    /// Stores new instances and their `create` actions in one transaction. `quotaCheck`, when given, sees the
    /// project's usage inside that transaction, so concurrent creates cannot together pass a quota.
    public func createInstances(
        _ instances: [Instance], actions: [InstanceActionRecord],
        quotaCheck: (@Sendable (_ instances: Int, _ resources: Resources) throws -> Void)? = nil,
        userQuotaCheck: (@Sendable (_ instances: Int, _ resources: Resources) throws -> Void)? = nil,
        serverGroup: (uuid: String, memberLimit: Int)? = nil
    ) async throws {
        // What decides: the project's usage (quota) and the group's members; what changes: new rows only.
        var names = Set(instances.map { "project:" + $0.projectID })
        if let serverGroup { names.insert("server_group:" + serverGroup.uuid) }
        try await database.write(lockingOnly: Array(names)) { sql in
            if let quotaCheck, let project = instances.first?.projectID {
                let usage = try await Self.usage(projectID: project, in: sql)
                try quotaCheck(usage.instances, usage.resources)
            }
            if let userQuotaCheck, let first = instances.first {
                let usage = try await Self.usage(projectID: first.projectID, userID: first.userID, in: sql)
                try userQuotaCheck(usage.instances, usage.resources)
            }
            for instance in instances { try await Self.save(instance, in: sql) }
            if let serverGroup {
                try await Self.addMembers(
                    instances.map(\.uuid), toGroup: serverGroup.uuid, limit: serverGroup.memberLimit, in: sql)
            }
            for action in actions { try await Self.insertAction(action, in: sql) }
        }
    }

    public func instance(uuid: String) async throws -> Instance? {
        try await database.read { sql in try await Self.load(uuid: uuid, in: sql) }
    }

    /// Reads, changes and writes one instance in a single transaction; `body` may throw to abort.
    /// `action`, when given, is recorded in the same transaction (Nova records the action with the state change).
    @discardableResult
    public func mutateInstance(
        uuid: String, action: InstanceActionRecord? = nil,
        _ body: @Sendable @escaping (inout Instance) throws -> Void
    ) async throws -> Instance {
        try await database.write { sql in
            guard var instance = try await Self.load(uuid: uuid, in: sql), !instance.isDeleted else {
                throw NovaError.notFound("Instance \(uuid) could not be found.")
            }
            try body(&instance)
            try await Self.save(instance, in: sql)
            if let action { try await Self.insertAction(action, in: sql) }
            return instance
        }
    }

    /// Lists instances newest first (Nova's default sort: created_at desc, id desc).
    public func listInstances(_ query: InstanceListQuery) async throws -> [Instance] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT uuid, data FROM instances WHERE 1 = 1")
            if let project = query.projectID { text = text + " AND project_id = \(bind: project)" }
            if let host = query.host { text = text + " AND host = \(bind: host)" }
            if query.onlyDeleted {
                text = text + " AND deleted = 1"
            } else if !query.includeDeleted {
                text = text + " AND deleted = 0"
            }
            if let since = query.changesSince { text = text + " AND updated_at >= \(bind: since.stored)" }
            if let before = query.changesBefore { text = text + " AND updated_at <= \(bind: before.stored)" }
            if let states = query.vmStates {
                text = text + " AND vm_state IN (\(binds: states.map(\.rawValue)))"
            }
            if let uuids = query.uuids { text = text + " AND uuid IN (\(binds: uuids))" }
            if let reservation = query.reservationID { text = text + " AND reservation_id = \(bind: reservation)" }
            if let after = query.after {
                // The marker's own stored created_at: the one in its JSON went through milliseconds and may
                // differ from the column in the last bits, which would repeat or skip rows across pages.
                text =
                    text + " AND (created_at < (SELECT created_at FROM instances WHERE uuid = \(bind: after.uuid))"
                    + " OR (created_at = (SELECT created_at FROM instances WHERE uuid = \(bind: after.uuid))"
                    + " AND uuid < \(bind: after.uuid)))"
            }
            text = text + " ORDER BY created_at DESC, uuid DESC"
            if let limit = query.limit { text = text + " LIMIT \(bind: limit)" }
            let rows = try await sql.raw(text).all()
            return try decodedInstances.instances(rows.map { (try $0.string("uuid"), try $0.string("data")) })
        }
    }

    /// Servers counted against a project's quota, and the cores and RAM they hold.
    /// What the project's servers use, or one user's servers in it.
    public func quotaUsage(projectID: String, userID: String? = nil) async throws -> (
        instances: Int, resources: Resources
    ) {
        try await database.read { sql in try await Self.usage(projectID: projectID, userID: userID, in: sql) }
    }

    static func usage(projectID: String, userID: String? = nil, in sql: any SQLDatabase) async throws -> (
        instances: Int, resources: Resources
    ) {
        let user: SQLQueryString = userID.map { "AND user_id = \(bind: $0)" } ?? ""
        let row = try await sql.raw(
            """
            SELECT COUNT(*) AS n, CAST(COALESCE(SUM(vcpus), 0) AS BIGINT) AS cores,
              CAST(COALESCE(SUM(memory_mb), 0) AS BIGINT) AS ram
            FROM instances WHERE project_id = \(bind: projectID) AND deleted = 0 \(user)
            """
        ).first()
        return (
            try row?.int("n") ?? 0,
            Resources(vcpus: try row?.int("cores") ?? 0, memoryMB: try row?.int("ram") ?? 0, diskGB: 0)
        )
    }
}

extension ComputeStore: ConductorStore {
    public func updateInstance(uuid: String, _ update: InstanceUpdate) async throws -> Instance {
        try await database.write(lockingOnly: ["instance:" + uuid]) { sql in
            guard var instance = try await Self.load(uuid: uuid, in: sql) else {
                throw NovaError.notFound("Instance \(uuid) could not be found.")
            }
            try update.apply(to: &instance, at: Date())
            try await Self.save(instance, in: sql)
            return instance
        }
    }

    public func instances(onHost host: String) async throws -> [Instance] {
        try await listInstances(InstanceListQuery(host: host))
    }

    @discardableResult
    public func destroyInstance(uuid: String, at date: Date) async throws -> [String] {
        try await database.write { sql in
            guard var instance = try await Self.load(uuid: uuid, in: sql) else { return [] }
            instance.vmState = .deleted
            instance.taskState = nil
            instance.powerState = .noState
            instance.terminatedAt = date
            instance.deletedAt = date
            instance.updatedAt = date
            try await Self.save(instance, in: sql)
            try await Self.releaseFixedAddresses(uuid: uuid, in: sql)
            // Its console authorizations end with it.
            try await sql.raw("DELETE FROM console_auth_tokens WHERE instance_uuid = \(bind: uuid)").run()
            return [uuid] + (try await Self.endMoves(instanceUUID: uuid, at: date, in: sql))
        }
    }

    public func recordActionEvent(_ event: ActionEventReport) async throws {
        try await database.write(lockingOnly: ["instance:" + event.instanceUUID]) { sql in
            try await Self.recordEvent(event, in: sql)
        }
    }
}
