import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    static func aggregate(from row: any SQLRow) throws -> Aggregate {
        Aggregate(
            id: try row.int("id"), uuid: try row.string("uuid"), name: try row.string("name"),
            metadata: try StoredJSON.decode([String: String].self, try row.string("metadata")),
            hosts: try StoredJSON.decode([String].self, try row.string("hosts")), createdAt: try row.date("created_at"),
            updatedAt: try row.optionalDate("updated_at"))
    }

    public func aggregates() async throws -> [Aggregate] {
        try await database.read { sql in try await Self.loadAggregates(in: sql) }
    }

    static func loadAggregates(in sql: any SQLDatabase) async throws -> [Aggregate] {
        try await sql.raw("SELECT * FROM aggregates ORDER BY id").all().map(Self.aggregate(from:))
    }

    public func createAggregate(name: String, zone: String?) async throws -> Aggregate {
        try await database.write { sql in
            try await Self.hostStateChanged(sql)
            if try await sql.raw("SELECT id FROM aggregates WHERE name = \(bind: name)").first() != nil {
                throw NovaError.conflict("Aggregate \(name) already exists.")
            }
            let metadata = zone.map { ["availability_zone": $0] } ?? [:]
            let uuid = UUID().uuidString.lowercased()
            try await sql.raw(
                """
                INSERT INTO aggregates (uuid, name, availability_zone, metadata, hosts, created_at)
                VALUES (\(bind: uuid), \(bind: name), \(bind: zone), \(bind: try StoredJSON.encode(metadata)), '[]',
                  \(bind: Date().stored))
                """
            ).run()
            guard let row = try await sql.raw("SELECT * FROM aggregates WHERE uuid = \(bind: uuid)").first() else {
                throw NovaError.internalError("aggregate \(name) vanished after insert")
            }
            return try Self.aggregate(from: row)
        }
    }

    /// Changes one aggregate in a transaction; `body` sees every aggregate (for zone conflict checks).
    public func updateAggregate(
        id: Int, _ body: @Sendable @escaping (inout Aggregate, [Aggregate]) throws -> Void
    ) async throws -> Aggregate {
        try await database.write { sql in
            try await Self.hostStateChanged(sql)
            let all = try await Self.loadAggregates(in: sql)
            guard var aggregate = all.first(where: { $0.id == id }) else {
                throw NovaError.notFound("Aggregate \(id) could not be found.")
            }
            try body(&aggregate, all)
            if try await sql.raw(
                "SELECT id FROM aggregates WHERE name = \(bind: aggregate.name) AND id <> \(bind: id)"
            ).first() != nil {
                throw NovaError.conflict("Aggregate \(aggregate.name) already exists.")
            }
            try await sql.raw(
                """
                UPDATE aggregates SET name = \(bind: aggregate.name), availability_zone = \(bind: aggregate.availabilityZone),
                  metadata = \(bind: try StoredJSON.encode(aggregate.metadata)), hosts = \(bind: try StoredJSON.encode(aggregate.hosts)),
                  updated_at = \(bind: Date().stored) WHERE id = \(bind: id)
                """
            ).run()
            aggregate.updatedAt = Date()
            return aggregate
        }
    }

    public func deleteAggregate(id: Int) async throws {
        try await database.write { sql in
            try await Self.hostStateChanged(sql)
            guard let row = try await sql.raw("SELECT * FROM aggregates WHERE id = \(bind: id)").first() else {
                throw NovaError.notFound("Aggregate \(id) could not be found.")
            }
            let aggregate = try Self.aggregate(from: row)
            if !aggregate.hosts.isEmpty {
                throw NovaError.badRequest(
                    "Cannot remove aggregate \(id): it still has hosts \(aggregate.hosts.joined(separator: ", ")).")
            }
            try await sql.raw("DELETE FROM aggregates WHERE id = \(bind: id)").run()
        }
    }
}
