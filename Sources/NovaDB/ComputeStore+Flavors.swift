import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    /// Flavors sorted as Nova sorts them (by flavorid). `projectID` adds the private flavors it may use.
    public func flavors(isPublic: Bool?, projectID: String?) async throws -> [Flavor] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT data FROM flavors f WHERE 1 = 1")
            switch isPublic {
            case .some(true):
                text += " AND is_public = 1"
            case .some(false):
                text += " AND is_public = 0"
            case .none:
                break
            }
            if let projectID {
                text += """
                     AND (is_public = 1 OR EXISTS (SELECT 1 FROM flavor_projects p WHERE p.flavor_id = f.id
                      AND p.project_id = \(bind: projectID)))
                    """
            }
            let flavors = try await sql.raw(text).all().map {
                try StoredJSON.decode(Flavor.self, try $0.string("data"))
            }
            return flavors.sorted { lhs, rhs in
                if let l = Int(lhs.id), let r = Int(rhs.id) { return l < r }
                return lhs.id < rhs.id
            }
        }
    }

    public func flavor(id: String) async throws -> Flavor? {
        try await database.read { sql in
            try await sql.raw("SELECT data FROM flavors WHERE id = \(bind: id)").first().map {
                try StoredJSON.decode(Flavor.self, try $0.string("data"))
            }
        }
    }

    public func createFlavor(_ flavor: Flavor) async throws {
        try await database.write { sql in
            if try await sql.raw("SELECT id FROM flavors WHERE id = \(bind: flavor.id)").first() != nil {
                throw NovaError.conflict("Flavor with ID \(flavor.id) already exists.")
            }
            if try await sql.raw("SELECT id FROM flavors WHERE name = \(bind: flavor.name)").first() != nil {
                throw NovaError.conflict("Flavor with name \(flavor.name) already exists.")
            }
            try await sql.raw(
                """
                INSERT INTO flavors (id, name, data, is_public, created_at)
                VALUES (\(bind: flavor.id), \(bind: flavor.name), \(bind: try StoredJSON.encode(flavor)),
                  \(bind: flavor.isPublic ? 1 : 0), \(bind: Date().stored))
                """
            ).run()
        }
    }

    @discardableResult
    public func updateFlavor(id: String, _ body: @Sendable @escaping (inout Flavor) throws -> Void) async throws
        -> Flavor
    {
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT data FROM flavors WHERE id = \(bind: id)").first() else {
                throw NovaError.notFound("Flavor \(id) could not be found.")
            }
            var flavor = try StoredJSON.decode(Flavor.self, try row.string("data"))
            try body(&flavor)
            try await sql.raw(
                "UPDATE flavors SET data = \(bind: try StoredJSON.encode(flavor)) WHERE id = \(bind: id)"
            ).run()
            return flavor
        }
    }

    public func deleteFlavor(id: String) async throws {
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM flavors WHERE id = \(bind: id)").first() != nil else {
                throw NovaError.notFound("Flavor \(id) could not be found.")
            }
            try await sql.raw("DELETE FROM flavors WHERE id = \(bind: id)").run()
        }
    }

    public func flavorProjects(id: String) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT project_id FROM flavor_projects WHERE flavor_id = \(bind: id) ORDER BY project_id"
            )
            .all().map { try $0.string("project_id") }
        }
    }

    public func setFlavorAccess(id: String, projectID: String, granted: Bool) async throws {
        try await database.write { sql in
            let exists =
                try await sql.raw(
                    "SELECT 1 AS x FROM flavor_projects WHERE flavor_id = \(bind: id) AND project_id = \(bind: projectID)"
                ).first() != nil
            if granted {
                if exists {
                    throw NovaError.conflict(
                        "Flavor access already exists for flavor \(id) and project \(projectID) combination.")
                }
                try await sql.raw(
                    "INSERT INTO flavor_projects (flavor_id, project_id) VALUES (\(bind: id), \(bind: projectID))"
                ).run()
            } else {
                guard exists else {
                    throw NovaError.notFound("Flavor access not found for \(id) / \(projectID) combination.")
                }
                try await sql.raw(
                    "DELETE FROM flavor_projects WHERE flavor_id = \(bind: id) AND project_id = \(bind: projectID)"
                ).run()
            }
        }
    }
}
