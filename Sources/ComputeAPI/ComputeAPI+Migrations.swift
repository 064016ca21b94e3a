import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// GET /os-migrations (migrations.py) and /servers/{id}/migrations (server_migrations.py): the records of
/// moves, a live migration's progress, and its force-complete and abort.
extension ComputeAPI {
    func registerMigrations(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-migrations") { request, context in
            let caller = try context.caller()
            try PolicyRule.projectManagerOrAdmin.enforce("os_compute_api:os-migrations:index", caller)
            let query = try migrationQuery(request.query, caller, context)
            var migrations = try await store.listMigrations(query)
            var body = JSONObject()
            if context.apiVersion >= APIVersion(2, 59) {
                let page = try Page(request.query, maxLimit: config.maxLimit)
                let (items, full) = try page.apply(migrations, id: \.uuid)
                migrations = items
                if full, let last = items.last {
                    body["migrations_links"] = Page.nextLink(
                        request, base: base(request), lastID: last.uuid, limit: page.limit)
                }
            }
            body["migrations"] = .array(migrations.map { migrationJSON($0, request, context) })
            return Response.json(.object(body))
        }
        v21.get("servers/{id}/migrations") { _, context in
            let instance = try await migratingInstance(context)
            let migrations = try await store.listMigrations(MigrationListQuery(instanceUUID: instance.uuid)).filter {
                $0.migrationType == .liveMigration && Migration.liveInProgress.contains($0.status)
            }
            return Response.json(["migrations": .array(migrations.map { serverMigrationJSON($0, context) })])
        }
        v21.get("servers/{id}/migrations/{migration}") { _, context in
            let instance = try await migratingInstance(context)
            let migration = try await liveMigration(context.parameter("migration"), instance)
            return Response.json(["migration": serverMigrationJSON(migration, context)])
        }
        v21.delete("servers/{id}/migrations/{migration}") { _, context in
            guard context.apiVersion >= APIVersion(2, 24) else {
                throw NovaError.notFound("The resource could not be found.")
            }
            try await controlLiveMigration(context, method: "live_migration_abort", verb: "abort live migration")
            return Response.empty(status: 202)
        }
        v21.post("servers/{id}/migrations/{migration}/action") { request, context in
            let body = try await request.jsonBody(context: context)
            guard body.objectValue?.keys.contains("force_complete") == true else {
                throw NovaError.badRequest("There is no such action; only force_complete is supported")
            }
            try await controlLiveMigration(
                context, method: "live_migration_force_complete", verb: "force complete")
            return Response.empty(status: 202)
        }
    }

    func migrationQuery(_ query: QueryParameters, _ caller: Credentials, _ context: NovaRequestContext) throws
        -> MigrationListQuery
    {
        var result = MigrationListQuery(instanceUUID: query["instance_uuid"])
        result.host = query["host"]
        result.sourceCompute = query["source_compute"]
        result.status = query["status"]
        result.migrationType = query["migration_type"]
        if context.apiVersion >= APIVersion(2, 59) {
            for (key, keyPath) in [
                ("changes-since", \MigrationListQuery.changesSince), ("changes-before", \.changesBefore),
            ] {
                guard let text = query[key] else { continue }
                guard let date = Timestamp.parse(text) else { throw NovaError.badRequest("Invalid \(key) value") }
                result[keyPath: keyPath] = date
            }
        }
        if context.apiVersion >= APIVersion(2, 80) {
            result.projectID = query["project_id"]
            result.userID = query["user_id"]
        }
        if !caller.isAdmin { result.projectID = caller.projectID }
        return result
    }

    func migrationJSON(_ migration: Migration, _ request: Request, _ context: NovaRequestContext) -> JSON {
        var json: JSONObject = [
            "id": .int(migration.id), "instance_uuid": .string(migration.instanceUUID),
            "status": .string(migration.status), "source_compute": .optional(migration.sourceCompute),
            "source_node": .optional(migration.sourceNode), "dest_compute": .optional(migration.destCompute),
            "dest_node": .optional(migration.destNode), "dest_host": .optional(migration.destHost),
            // checked: stored flavor ids; text to Int never traps
            "old_instance_type_id": .int(Int(migration.oldFlavor.id) ?? 0),
            // checked: stored flavor ids; text to Int never traps
            "new_instance_type_id": .int(Int(migration.newFlavor.id) ?? 0),
            "created_at": .string(Timestamp.naive(migration.createdAt)),
            "updated_at": .string(Timestamp.naive(migration.updatedAt)),
        ]
        if context.apiVersion >= APIVersion(2, 23) {
            json["migration_type"] = .string(migration.migrationType.rawValue)
            if migration.migrationType == .liveMigration, Migration.liveInProgress.contains(migration.status) {
                json["links"] = links(request, "servers/\(migration.instanceUUID)/migrations", String(migration.id))
            }
        }
        if context.apiVersion >= APIVersion(2, 59) { json["uuid"] = .string(migration.uuid) }
        if context.apiVersion >= APIVersion(2, 80) {
            json["user_id"] = .string(migration.userID)
            json["project_id"] = .string(migration.projectID)
        }
        return .object(json)
    }

    func serverMigrationJSON(_ migration: Migration, _ context: NovaRequestContext) -> JSON {
        var json: JSONObject = [
            "id": .int(migration.id), "server_uuid": .string(migration.instanceUUID),
            "status": .string(migration.status), "source_compute": .optional(migration.sourceCompute),
            "source_node": .optional(migration.sourceNode), "dest_compute": .optional(migration.destCompute),
            "dest_node": .optional(migration.destNode), "dest_host": .optional(migration.destHost),
            "memory_total_bytes": .optional(migration.memoryTotal),
            "memory_processed_bytes": .optional(migration.memoryProcessed),
            "memory_remaining_bytes": .optional(migration.memoryRemaining),
            "disk_total_bytes": .optional(migration.diskTotal),
            "disk_processed_bytes": .optional(migration.diskProcessed),
            "disk_remaining_bytes": .optional(migration.diskRemaining),
            "created_at": .string(Timestamp.naive(migration.createdAt)),
            "updated_at": .string(Timestamp.naive(migration.updatedAt)),
        ]
        if context.apiVersion >= APIVersion(2, 59) { json["uuid"] = .string(migration.uuid) }
        if context.apiVersion >= APIVersion(2, 80) {
            json["user_id"] = .string(migration.userID)
            json["project_id"] = .string(migration.projectID)
        }
        return .object(json)
    }

    /// The instance of a /servers/{id}/migrations request, for a caller allowed to see its migrations.
    func migratingInstance(_ context: NovaRequestContext, since minimum: APIVersion = APIVersion(2, 23)) async throws
        -> Instance
    {
        guard context.apiVersion >= minimum else {
            throw NovaError.notFound("The resource could not be found.")
        }
        let instance = try await visibleInstance(context.parameter("id"), context)
        try PolicyRule.projectManagerOrAdmin.enforce(
            "os_compute_api:servers:migrations:index", try context.caller(), targetProject: instance.projectID)
        return instance
    }

    func liveMigration(_ id: String, _ instance: Instance) async throws -> Migration {
        // checked: text to Int never traps; an id out of range is simply not found
        guard let number = Int(id), let migration = try await store.migration(id: number),
            migration.instanceUUID == instance.uuid, migration.migrationType == .liveMigration,
            Migration.liveInProgress.contains(migration.status)
        else {
            throw NovaError.notFound("In-progress live migration \(id) is not found for server \(instance.uuid).")
        }
        return migration
    }

    /// Abort or force-complete: only while the source is sending the guest.
    func controlLiveMigration(_ context: NovaRequestContext, method: String, verb: String) async throws {
        let instance = try await migratingInstance(context, since: APIVersion(2, 22))
        // checked: text to Int never traps; not found otherwise
        guard let number = Int(context.parameter("migration")), let migration = try await store.migration(id: number),
            migration.instanceUUID == instance.uuid
        else {
            throw NovaError.notFound(
                "Migration \(context.parameter("migration")) for instance \(instance.uuid) could not be found.")
        }
        let allowed: Set<String> = method == "live_migration_abort" ? ["preparing", "running"] : ["running"]
        guard migration.migrationType == .liveMigration, allowed.contains(migration.status),
            instance.taskState == .migrating, let source = migration.sourceCompute
        else {
            throw NovaError.badRequest(
                "Migration \(migration.id) state of instance \(instance.uuid) is \(migration.status). Cannot \(verb) while the migration is in this state."
            )
        }
        do {
            try await compute.liveMigrationControl(method, instance, host: source, context: context.rpcContext)
        } catch let error as NovaError where error.code.status == 400 {
            throw NovaError.badRequest(
                "Migration \(migration.id) state of instance \(instance.uuid) is \(migration.status). Cannot \(verb): \(error.message)"
            )
        }
    }
}
