import Foundation
import NovaCore
import SQLKit

extension Migrations {
    static let moveSchema = [
        """
        CREATE TABLE migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
          instance_uuid TEXT NOT NULL, migration_type TEXT NOT NULL, status TEXT NOT NULL, source_compute TEXT,
          dest_compute TEXT, project_id TEXT NOT NULL, user_id TEXT NOT NULL, created_at REAL NOT NULL,
          updated_at REAL NOT NULL, data TEXT NOT NULL)
        """,
        "CREATE INDEX migrations_instance ON migrations (instance_uuid)",
        """
        CREATE TABLE move_tasks (uuid TEXT PRIMARY KEY, instance_uuid TEXT NOT NULL UNIQUE,
          migration_uuid TEXT NOT NULL, step TEXT NOT NULL, host TEXT, deadline REAL NOT NULL, data TEXT NOT NULL)
        """,
        "CREATE INDEX move_tasks_deadline ON move_tasks (deadline)",
    ]
}

/// Which migrations to list (GET /os-migrations).
public struct MigrationListQuery: Sendable {
    public var instanceUUID: String?
    public var host: String?
    public var sourceCompute: String?
    public var status: String?
    public var migrationType: String?
    public var projectID: String?
    public var userID: String?
    public var changesSince: Date?
    public var changesBefore: Date?
    /// Keyset paging: only rows after this migration in newest-first order.
    public var after: Migration?
    public var limit: Int?

    public init(instanceUUID: String? = nil) { self.instanceUUID = instanceUUID }
}

extension ComputeStore {
    static func saveMigration(_ migration: Migration, in sql: any SQLDatabase) async throws -> Migration {
        var migration = migration
        if migration.id == 0 {
            try await sql.raw(
                """
                INSERT INTO migrations (uuid, instance_uuid, migration_type, status, source_compute, dest_compute,
                  project_id, user_id, created_at, updated_at, data)
                VALUES (\(bind: migration.uuid), \(bind: migration.instanceUUID), \(bind: migration.migrationType.rawValue),
                  \(bind: migration.status), \(bind: migration.sourceCompute), \(bind: migration.destCompute),
                  \(bind: migration.projectID), \(bind: migration.userID), \(bind: migration.createdAt.stored),
                  \(bind: migration.updatedAt.stored), '{}')
                """
            ).run()
            let row = try await sql.raw("SELECT id FROM migrations WHERE uuid = \(bind: migration.uuid)").first()
            migration.id = try row?.int("id") ?? 0
        }
        try await sql.raw(
            """
            UPDATE migrations SET status = \(bind: migration.status), dest_compute = \(bind: migration.destCompute),
              updated_at = \(bind: migration.updatedAt.stored), data = \(bind: try StoredJSON.encode(migration))
            WHERE uuid = \(bind: migration.uuid)
            """
        ).run()
        return migration
    }

    static func loadMigration(uuid: String, in sql: any SQLDatabase) async throws -> Migration? {
        try await sql.raw("SELECT data FROM migrations WHERE uuid = \(bind: uuid)").first().map {
            try StoredJSON.decode(Migration.self, try $0.string("data"))
        }
    }

    static func saveTask(_ task: MoveTask, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO move_tasks (uuid, instance_uuid, migration_uuid, step, host, deadline, data)
            VALUES (\(bind: task.uuid), \(bind: task.instanceUUID), \(bind: task.migrationUUID), \(bind: task.step.rawValue),
              \(bind: task.host), \(bind: task.deadline.stored), \(bind: try StoredJSON.encode(task)))
            ON CONFLICT (uuid) DO UPDATE SET step = excluded.step, host = excluded.host, deadline = excluded.deadline,
              data = excluded.data
            """
        ).run()
    }

    static func loadTask(uuid: String, in sql: any SQLDatabase) async throws -> MoveTask? {
        try await sql.raw("SELECT data FROM move_tasks WHERE uuid = \(bind: uuid)").first().map {
            try StoredJSON.decode(MoveTask.self, try $0.string("data"))
        }
    }

    /// Starts a move in one transaction: `check` validates and changes the instance (its task_state), the
    /// migration is stored (created, or changed for a confirm or revert), the task row and the instance action
    /// are written. An instance with an unfinished task cannot start another (409).
    public func startMove(
        instanceUUID: String, task: MoveTask, action: InstanceActionRecord?,
        migration: @Sendable @escaping (Instance) throws -> Migration,
        check: @Sendable @escaping (inout Instance) throws -> Void
    ) async throws -> MoveState {
        try await database.write { sql in
            guard var instance = try await Self.load(uuid: instanceUUID, in: sql), !instance.isDeleted else {
                throw NovaError.notFound("Instance \(instanceUUID) could not be found.")
            }
            if try await sql.raw("SELECT uuid FROM move_tasks WHERE instance_uuid = \(bind: instanceUUID)").first()
                != nil
            {
                throw NovaError.conflict(
                    "Instance \(instanceUUID) is in the middle of another operation; try again when it has finished.")
            }
            let before = instance
            try check(&instance)
            instance.updatedAt = task.createdAt
            let stored = try await Self.saveMigration(try migration(before), in: sql)
            try await Self.save(instance, in: sql)
            var task = task
            task.migrationUUID = stored.uuid
            try await Self.saveTask(task, in: sql)
            if let action { try await Self.insertAction(action, in: sql) }
            return MoveState(task: task, instance: instance, migration: stored)
        }
    }

    public func migration(id: Int) async throws -> Migration? {
        try await database.read { sql in
            try await sql.raw("SELECT data FROM migrations WHERE id = \(bind: id)").first().map {
                var migration = try StoredJSON.decode(Migration.self, try $0.string("data"))
                migration.id = id
                return migration
            }
        }
    }

    public func migration(uuid: String) async throws -> Migration? {
        try await database.read { sql in try await Self.loadMigration(uuid: uuid, in: sql) }
    }

    /// The instance's newest migration of the given types in one of `statuses`.
    public func latestMigration(instanceUUID: String, statuses: Set<String>, types: Set<MigrationType>? = nil)
        async throws -> Migration?
    {
        try await listMigrations(MigrationListQuery(instanceUUID: instanceUUID)).first {
            statuses.contains($0.status) && (types?.contains($0.migrationType) ?? true)
        }
    }

    /// Migrations newest first (Nova sorts by created_at, then id, descending).
    public func listMigrations(_ query: MigrationListQuery) async throws -> [Migration] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT data FROM migrations WHERE 1 = 1")
            if let uuid = query.instanceUUID { text = text + " AND instance_uuid = \(bind: uuid)" }
            if let host = query.host {
                text = text + " AND (source_compute = \(bind: host) OR dest_compute = \(bind: host))"
            }
            if let source = query.sourceCompute { text = text + " AND source_compute = \(bind: source)" }
            if let status = query.status { text = text + " AND status = \(bind: status)" }
            if let type = query.migrationType { text = text + " AND migration_type = \(bind: type)" }
            if let project = query.projectID { text = text + " AND project_id = \(bind: project)" }
            if let user = query.userID { text = text + " AND user_id = \(bind: user)" }
            if let since = query.changesSince { text = text + " AND updated_at >= \(bind: since.stored)" }
            if let before = query.changesBefore { text = text + " AND updated_at <= \(bind: before.stored)" }
            if let after = query.after {
                text =
                    text
                    + " AND (created_at < \(bind: after.createdAt.stored) OR (created_at = \(bind: after.createdAt.stored) AND id < \(bind: after.id)))"
            }
            text = text + " ORDER BY created_at DESC, id DESC"
            if let limit = query.limit { text = text + " LIMIT \(bind: limit)" }
            return try await sql.raw(text).all().map { try StoredJSON.decode(Migration.self, try $0.string("data")) }
        }
    }

    /// A deleted instance's moves end: its task row goes, unfinished migrations (and one awaiting
    /// confirmation) become "error". Returns those migrations' uuids, whose allocations must be released.
    static func endMoves(instanceUUID: String, at date: Date, in sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw("DELETE FROM move_tasks WHERE instance_uuid = \(bind: instanceUUID)").run()
        let rows = try await sql.raw("SELECT data FROM migrations WHERE instance_uuid = \(bind: instanceUUID)").all()
        var open: [String] = []
        for row in rows {
            var migration = try StoredJSON.decode(Migration.self, try row.string("data"))
            guard !Migration.finalStatuses.contains(migration.status) else { continue }
            migration.status = "error"
            migration.updatedAt = date
            _ = try await saveMigration(migration, in: sql)
            open.append(migration.uuid)
        }
        return open
    }

    public func instancesInTask(updatedBefore date: Date) async throws -> [Instance] {
        try await database.read { sql in
            let rows = try await sql.raw(
                "SELECT data FROM instances WHERE task_state IS NOT NULL AND deleted = 0"
            ).all()
            return try rows.map { try StoredJSON.decode(Instance.self, try $0.string("data")) }
        }
        .filter { $0.updatedAt < date }
    }

    public func instances(in vmStates: [VMState], updatedBefore date: Date) async throws -> [Instance] {
        try await listInstances(InstanceListQuery(vmStates: vmStates)).filter { $0.updatedAt < date }
    }

    public func migrations(instanceUUID: String) async throws -> [Migration] {
        try await listMigrations(MigrationListQuery(instanceUUID: instanceUUID))
    }

    public func computeServices() async throws -> [ServiceRecord] {
        try await services(binary: "nova-compute")
    }

    public func migrations(status: String, updatedBefore date: Date) async throws -> [Migration] {
        var query = MigrationListQuery()
        query.status = status
        query.changesBefore = date
        return try await listMigrations(query)
    }

    /// The unfinished task of an instance, if any.
    public func moveTask(instanceUUID: String) async throws -> MoveTask? {
        try await database.read { sql in
            try await sql.raw("SELECT data FROM move_tasks WHERE instance_uuid = \(bind: instanceUUID)").first().map {
                try StoredJSON.decode(MoveTask.self, try $0.string("data"))
            }
        }
    }
}

extension ComputeStore {
    public func moveState(taskUUID: String) async throws -> MoveState? {
        try await database.read { sql in
            guard let task = try await Self.loadTask(uuid: taskUUID, in: sql),
                let instance = try await Self.load(uuid: task.instanceUUID, in: sql),
                let migration = try await Self.loadMigration(uuid: task.migrationUUID, in: sql)
            else { return nil }
            return MoveState(task: task, instance: instance, migration: migration)
        }
    }

    public func advanceMove(_ advance: MoveAdvance, deadline: Date, at date: Date) async throws -> MoveState {
        try await database.write { sql in
            guard var task = try await Self.loadTask(uuid: advance.taskUUID, in: sql),
                var instance = try await Self.load(uuid: task.instanceUUID, in: sql),
                var migration = try await Self.loadMigration(uuid: task.migrationUUID, in: sql)
            else { throw NovaError.notFound("Task \(advance.taskUUID) could not be found.") }
            guard task.step == advance.expectedStep else {
                throw NovaError.conflict(
                    "Task \(task.uuid) is at step \(task.step.rawValue), not \(advance.expectedStep.rawValue)")
            }
            let formerHost = instance.host
            if let update = advance.instance { try update.apply(to: &instance, at: date) }
            // A move that lands on another host puts the server in that host's zone.
            if let host = instance.host, host != formerHost, let zone = try await Self.zone(ofHost: host, in: sql) {
                instance.availabilityZone = zone
            }
            advance.migration?.apply(to: &migration, at: date)
            try await Self.save(instance, in: sql)
            migration = try await Self.saveMigration(migration, in: sql)
            guard let next = advance.nextStep else {
                try await sql.raw("DELETE FROM move_tasks WHERE uuid = \(bind: task.uuid)").run()
                return MoveState(task: nil, instance: instance, migration: migration)
            }
            if next != task.step || advance.nextHost != task.host {
                task.attempts = 0
                task.deadline = deadline
            }
            task.step = next
            task.host = advance.nextHost
            if let transfer = advance.transfer { task.transfer = transfer }
            task.updatedAt = date
            try await Self.saveTask(task, in: sql)
            return MoveState(task: task, instance: instance, migration: migration)
        }
    }

    public func retryMove(taskUUID: String, step: MoveStep, deadline: Date) async throws -> MoveState {
        try await database.write { sql in
            guard var task = try await Self.loadTask(uuid: taskUUID, in: sql), task.step == step,
                let instance = try await Self.load(uuid: task.instanceUUID, in: sql),
                let migration = try await Self.loadMigration(uuid: task.migrationUUID, in: sql)
            else { throw NovaError.conflict("Task \(taskUUID) is no longer at step \(step.rawValue)") }
            task.attempts += 1
            task.deadline = deadline
            try await Self.saveTask(task, in: sql)
            return MoveState(task: task, instance: instance, migration: migration)
        }
    }

    public func moveTasks(dueBefore: Date?) async throws -> [MoveTask] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT data FROM move_tasks")
            if let dueBefore { text = text + " WHERE deadline < \(bind: dueBefore.stored)" }
            return try await sql.raw(text + " ORDER BY deadline").all().map {
                try StoredJSON.decode(MoveTask.self, try $0.string("data"))
            }
        }
    }
}
