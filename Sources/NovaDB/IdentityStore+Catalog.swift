import Foundation
import NovaCore
import SQLKit

public struct RegionRecord: Sendable, Equatable {
    public var id: String
    public var description: String
    public var parentRegionID: String?

    public init(id: String, description: String, parentRegionID: String?) {
        self.id = id
        self.description = description
        self.parentRegionID = parentRegionID
    }
}

public struct CatalogServiceRecord: Sendable, Equatable {
    public var id: String
    public var type: String
    public var name: String
    public var description: String
    public var enabled: Bool

    public init(id: String, type: String, name: String, description: String, enabled: Bool) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.enabled = enabled
    }
}

/// An endpoint of a service in the catalog. A URL that starts with `/` is a path on the API listener the
/// client reached (what this cloud seeds for the services it serves itself).
public struct EndpointRecord: Sendable, Equatable {
    public var id: String
    public var serviceID: String
    public var interface: String
    public var regionID: String?
    public var url: String
    public var enabled: Bool

    public init(id: String, serviceID: String, interface: String, regionID: String?, url: String, enabled: Bool) {
        self.id = id
        self.serviceID = serviceID
        self.interface = interface
        self.regionID = regionID
        self.url = url
        self.enabled = enabled
    }
}

/// Keystone's catalog: regions, services and their endpoints, managed through the API and read for every
/// scoped token.
extension IdentityStore {
    // MARK: Regions

    public func regions(parentRegionID: String? = nil) async throws -> [RegionRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM regions WHERE 1 = 1")
            if let parentRegionID { text += " AND parent_region_id = \(bind: parentRegionID)" }
            return try await sql.raw(text + " ORDER BY id").all().map { row in
                RegionRecord(
                    id: try row.string("id"), description: try row.string("description"),
                    parentRegionID: try row.optionalString("parent_region_id"))
            }
        }
    }

    /// 409 when a region of that id exists.
    public func createRegion(_ region: RegionRecord) async throws {
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM regions WHERE id = \(bind: region.id)").first() == nil else {
                throw NovaError.conflict(
                    "Conflict occurred attempting to store region - Duplicate ID, \(region.id).")
            }
            try await sql.raw(
                """
                INSERT INTO regions (id, description, parent_region_id)
                VALUES (\(bind: region.id), \(bind: region.description), \(bind: region.parentRegionID))
                """
            ).run()
        }
    }

    public func updateRegion(_ region: RegionRecord) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE regions SET description = \(bind: region.description), parent_region_id = \(bind: region.parentRegionID)
                WHERE id = \(bind: region.id)
                """
            ).run()
        }
    }

    /// 403 while the region has child regions or endpoints, as Keystone answers.
    public func deleteRegion(id: String) async throws {
        try await database.write { sql in
            let children = try await sql.raw("SELECT id FROM regions WHERE parent_region_id = \(bind: id)").first()
            let endpoints = try await sql.raw("SELECT id FROM catalog_endpoints WHERE region_id = \(bind: id)").first()
            if children != nil || endpoints != nil {
                throw NovaError.forbidden(
                    "Unable to delete region \(id) because it or its child regions have associated endpoints.")
            }
            try await sql.raw("DELETE FROM regions WHERE id = \(bind: id)").run()
        }
    }

    // MARK: Services

    public func catalogServices(type: String? = nil, name: String? = nil) async throws -> [CatalogServiceRecord] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM catalog_services WHERE 1 = 1")
            if let type { text += " AND type = \(bind: type)" }
            if let name { text += " AND name = \(bind: name)" }
            return try await sql.raw(text + " ORDER BY type, name").all().map { row in
                CatalogServiceRecord(
                    id: try row.string("id"), type: try row.string("type"), name: try row.string("name"),
                    description: try row.string("description"), enabled: try row.bool("enabled"))
            }
        }
    }

    /// Inserts or replaces the service of that id.
    public func saveCatalogService(_ service: CatalogServiceRecord) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM catalog_services WHERE id = \(bind: service.id)").run()
            try await sql.raw(
                """
                INSERT INTO catalog_services (id, type, name, description, enabled)
                VALUES (\(bind: service.id), \(bind: service.type), \(bind: service.name), \(bind: service.description),
                  \(bind: service.enabled ? 1 : 0))
                """
            ).run()
        }
    }

    /// The service and its endpoints.
    public func deleteCatalogService(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM catalog_endpoints WHERE service_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM catalog_services WHERE id = \(bind: id)").run()
        }
    }

    // MARK: Endpoints

    public func endpoints(serviceID: String? = nil, interface: String? = nil, regionID: String? = nil) async throws
        -> [EndpointRecord]
    {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM catalog_endpoints WHERE 1 = 1")
            if let serviceID { text += " AND service_id = \(bind: serviceID)" }
            if let interface { text += " AND interface = \(bind: interface)" }
            if let regionID { text += " AND region_id = \(bind: regionID)" }
            return try await sql.raw(text + " ORDER BY service_id, interface, id").all().map { row in
                EndpointRecord(
                    id: try row.string("id"), serviceID: try row.string("service_id"),
                    interface: try row.string("interface"), regionID: try row.optionalString("region_id"),
                    url: try row.string("url"), enabled: try row.bool("enabled"))
            }
        }
    }

    /// Inserts or replaces the endpoint of that id.
    public func saveEndpoint(_ endpoint: EndpointRecord) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM catalog_endpoints WHERE id = \(bind: endpoint.id)").run()
            try await sql.raw(
                """
                INSERT INTO catalog_endpoints (id, service_id, interface, region_id, url, enabled)
                VALUES (\(bind: endpoint.id), \(bind: endpoint.serviceID), \(bind: endpoint.interface),
                  \(bind: endpoint.regionID), \(bind: endpoint.url), \(bind: endpoint.enabled ? 1 : 0))
                """
            ).run()
        }
    }

    public func deleteEndpoint(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM catalog_endpoints WHERE id = \(bind: id)").run()
        }
    }
}
