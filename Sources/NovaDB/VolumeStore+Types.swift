import Foundation
import NovaCore
import SQLKit
import VolumeCore

extension VolumeStore {
    /// Makes the `__DEFAULT__` type on the first start.
    public func ensureDefaultType(at date: Date) async throws {
        try await database.write { sql in
            guard
                try await sql.raw("SELECT id FROM volume_types WHERE name = \(bind: VolumeType.defaultName)").first()
                    == nil
            else { return }
            var type = VolumeType(
                id: UUID().uuidString.lowercased(), name: VolumeType.defaultName, description: "Default Volume Type")
            type.isPublic = true
            try await Self.insert(type, at: date, in: sql)
        }
    }

    static func insert(_ type: VolumeType, at date: Date, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO volume_types (id, name, is_public, created_at, data)
            VALUES (\(bind: type.id), \(bind: type.name), \(bind: type.isPublic ? 1 : 0), \(bind: date.stored),
              \(bind: try StoredJSON.encode(type)))
            """
        ).run()
    }

    public func createType(_ type: VolumeType, at date: Date) async throws -> VolumeType {
        try await database.write { sql in
            if try await sql.raw("SELECT id FROM volume_types WHERE name = \(bind: type.name)").first() != nil {
                throw NovaError.conflict("Volume Type \(type.name) already exists.")
            }
            try await Self.insert(type, at: date, in: sql)
            return type
        }
    }

    /// Every type in creation order, with the projects each private one is shared with.
    public func types() async throws -> [(type: VolumeType, projects: [String])] {
        try await database.read { sql in
            let types = try await Self.rows(
                VolumeType.self, "SELECT data FROM volume_types ORDER BY created_at, id", in: sql)
            var access: [String: [String]] = [:]
            for row in try await sql.raw("SELECT type_id, project_id FROM volume_type_projects ORDER BY project_id")
                .all()
            {
                access[try row.string("type_id"), default: []].append(try row.string("project_id"))
            }
            return types.map { ($0, access[$0.id] ?? []) }
        }
    }

    /// A type by id, or by name.
    public func type(idOrName: String) async throws -> (type: VolumeType, projects: [String])? {
        let all = try await types()
        return all.first { $0.type.id == idOrName } ?? all.first { $0.type.name == idOrName }
    }

    @discardableResult
    public func updateType(id: String, _ body: @Sendable (inout VolumeType) throws -> Void) async throws -> VolumeType {
        try await database.write { sql in
            guard
                var type = try await Self.rows(
                    VolumeType.self, "SELECT data FROM volume_types WHERE id = \(bind: id)", in: sql
                )
                .first
            else { throw NovaError.volumeTypeNotFound(id) }
            let oldName = type.name
            try body(&type)
            if type.name != oldName,
                try await sql.raw("SELECT id FROM volume_types WHERE name = \(bind: type.name)").first() != nil
            {
                throw NovaError.conflict("Volume Type \(type.name) already exists.")
            }
            try await sql.raw(
                """
                UPDATE volume_types SET name = \(bind: type.name), is_public = \(bind: type.isPublic ? 1 : 0),
                  data = \(bind: try StoredJSON.encode(type))
                WHERE id = \(bind: id)
                """
            ).run()
            return type
        }
    }

    /// Deletes a type no volume uses.
    public func deleteType(id: String) async throws {
        try await database.write { sql in
            if try await sql.raw("SELECT id FROM volumes WHERE type_id = \(bind: id) LIMIT 1").first() != nil {
                throw NovaError.badRequest("Target volume type is still in use.")
            }
            try await sql.raw("DELETE FROM volume_types WHERE id = \(bind: id)").run()
        }
    }

    /// Shares a private type with a project, or stops sharing it.
    public func setTypeAccess(id: String, project: String, allowed: Bool) async throws {
        try await database.write { sql in
            let present =
                try await sql.raw(
                    "SELECT type_id FROM volume_type_projects WHERE type_id = \(bind: id) AND project_id = \(bind: project)"
                ).first() != nil
            if allowed {
                if present {
                    throw NovaError.conflict("Volume type access for \(id)/\(project) combination already exists.")
                }
                try await sql.raw(
                    "INSERT INTO volume_type_projects (type_id, project_id) VALUES (\(bind: id), \(bind: project))"
                ).run()
            } else {
                guard present else {
                    throw NovaError.notFound("Volume type access not found for \(id)/\(project) combination.")
                }
                try await sql.raw(
                    "DELETE FROM volume_type_projects WHERE type_id = \(bind: id) AND project_id = \(bind: project)"
                ).run()
            }
        }
    }
}
