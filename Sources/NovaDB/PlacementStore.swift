import Foundation
import PlacementCore
import SQLKit

/// Placement's durable copy: loaded whole at start, then written row by row for what each change touched.
public struct PlacementStore: PlacementPersistence {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func loadPlacement() async throws -> PlacementState {
        try await database.read { sql in
            var providers: [String: ResourceProvider] = [:]
            for row in try await sql.raw("SELECT * FROM resource_providers").all() {
                let uuid = try row.string("uuid")
                providers[uuid] = ResourceProvider(
                    uuid: uuid, name: try row.string("name"), generation: try row.int("generation"),
                    parentUUID: try row.optionalString("parent_uuid"), rootUUID: try row.string("root_uuid"),
                    createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
            }
            for row in try await sql.raw("SELECT * FROM inventories").all() {
                providers[try row.string("provider_uuid")]?.inventories[try row.string("resource_class")] = Inventory(
                    total: try row.int("total"), reserved: try row.int("reserved"), minUnit: try row.int("min_unit"),
                    maxUnit: try row.int("max_unit"), stepSize: try row.int("step_size"),
                    allocationRatio: try row.double("allocation_ratio"))
            }
            for row in try await sql.raw("SELECT * FROM provider_traits").all() {
                providers[try row.string("provider_uuid")]?.traits.insert(try row.string("trait"))
            }
            for row in try await sql.raw("SELECT * FROM provider_aggregates").all() {
                providers[try row.string("provider_uuid")]?.aggregates.insert(try row.string("aggregate_uuid"))
            }
            var consumers: [String: Consumer] = [:]
            for row in try await sql.raw("SELECT * FROM consumers").all() {
                let uuid = try row.string("uuid")
                consumers[uuid] = Consumer(
                    uuid: uuid, projectID: try row.string("project_id"), userID: try row.string("user_id"),
                    generation: try row.int("generation"),
                    consumerType: Self.consumerType(try row.string("consumer_type")),
                    createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
            }
            for row in try await sql.raw("SELECT * FROM placement_allocations").all() {
                consumers[try row.string("consumer_uuid")]?.allocations[try row.string("provider_uuid"), default: [:]][
                    try row.string("resource_class")] = try row.int("used")
            }
            let classes = try await sql.raw("SELECT name FROM custom_resource_classes").all().map {
                try $0.string("name")
            }
            let traits = try await sql.raw("SELECT name FROM custom_traits").all().map { try $0.string("name") }
            return PlacementState(
                providers: Array(providers.values), consumers: Array(consumers.values),
                customClasses: Set(classes), customTraits: Set(traits))
        }
    }

    public func savePlacement(_ records: PlacementRecords) async throws {
        try await database.write { sql in
            for (name, exists) in records.classes {
                try await sql.raw("DELETE FROM custom_resource_classes WHERE name = \(bind: name)").run()
                if exists {
                    try await sql.raw("INSERT INTO custom_resource_classes (name) VALUES (\(bind: name))").run()
                }
            }
            for (name, exists) in records.traits {
                try await sql.raw("DELETE FROM custom_traits WHERE name = \(bind: name)").run()
                if exists { try await sql.raw("INSERT INTO custom_traits (name) VALUES (\(bind: name))").run() }
            }
            for (uuid, provider) in records.providersInTreeOrder {
                try await saveProvider(uuid, provider, sql)
            }
            for (uuid, generation) in records.generations {
                try await sql.raw(
                    """
                    UPDATE resource_providers SET generation = \(bind: generation.0),
                      updated_at = \(bind: generation.1.stored) WHERE uuid = \(bind: uuid)
                    """
                ).run()
            }
            for (uuid, consumer) in records.consumers {
                try await sql.raw("DELETE FROM consumers WHERE uuid = \(bind: uuid)").run()
                guard let consumer else { continue }
                try await sql.raw(
                    """
                    INSERT INTO consumers (uuid, project_id, user_id, generation, consumer_type, created_at, updated_at)
                    VALUES (\(bind: uuid), \(bind: consumer.projectID), \(bind: consumer.userID), \(bind: consumer.generation),
                      \(bind: consumer.consumerType), \(bind: consumer.createdAt.stored), \(bind: consumer.updatedAt.stored))
                    """
                ).run()
                for (provider, resources) in consumer.allocations {
                    for (resourceClass, used) in resources {
                        try await sql.raw(
                            """
                            INSERT INTO placement_allocations (consumer_uuid, provider_uuid, resource_class, used)
                            VALUES (\(bind: uuid), \(bind: provider), \(bind: resourceClass), \(bind: used))
                            """
                        ).run()
                    }
                }
            }
        }
    }

    func saveProvider(_ uuid: String, _ provider: ResourceProvider?, _ sql: any SQLDatabase) async throws {
        guard let provider else {
            try await sql.raw("DELETE FROM resource_providers WHERE uuid = \(bind: uuid)").run()
            return
        }
        try await sql.raw(
            """
            INSERT INTO resource_providers (uuid, name, generation, parent_uuid, root_uuid, created_at, updated_at)
            VALUES (\(bind: uuid), \(bind: provider.name), \(bind: provider.generation), \(bind: provider.parentUUID),
              \(bind: provider.rootUUID), \(bind: provider.createdAt.stored), \(bind: provider.updatedAt.stored))
            ON CONFLICT (uuid) DO UPDATE SET name = excluded.name, generation = excluded.generation,
              parent_uuid = excluded.parent_uuid, root_uuid = excluded.root_uuid, updated_at = excluded.updated_at
            """
        ).run()
        try await sql.raw("DELETE FROM inventories WHERE provider_uuid = \(bind: uuid)").run()
        for (resourceClass, inventory) in provider.inventories {
            try await sql.raw(
                """
                INSERT INTO inventories (provider_uuid, resource_class, total, reserved, min_unit, max_unit, step_size,
                  allocation_ratio)
                VALUES (\(bind: uuid), \(bind: resourceClass), \(bind: inventory.total), \(bind: inventory.reserved),
                  \(bind: inventory.minUnit), \(bind: inventory.maxUnit), \(bind: inventory.stepSize),
                  \(bind: inventory.allocationRatio))
                """
            ).run()
        }
        try await sql.raw("DELETE FROM provider_traits WHERE provider_uuid = \(bind: uuid)").run()
        for trait in provider.traits {
            try await sql.raw(
                "INSERT INTO provider_traits (provider_uuid, trait) VALUES (\(bind: uuid), \(bind: trait))"
            ).run()
        }
        try await sql.raw("DELETE FROM provider_aggregates WHERE provider_uuid = \(bind: uuid)").run()
        for aggregate in provider.aggregates {
            try await sql.raw(
                "INSERT INTO provider_aggregates (provider_uuid, aggregate_uuid) VALUES (\(bind: uuid), \(bind: aggregate))"
            ).run()
        }
    }
}

extension PlacementStore {
    /// A stored consumer type; `UNKNOWN` is what this service wrote for an untyped consumer before it wrote
    /// Placement's `unknown`.
    static func consumerType(_ stored: String) -> String { stored == "UNKNOWN" ? Consumer.untyped : stored }
}
