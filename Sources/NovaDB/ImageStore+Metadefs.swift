import Foundation
import NovaCore
import SQLKit

/// A Glance metadata definition namespace: a named group of property definitions (and objects of them)
/// that apply to resource types (images, flavors...), kept as one document.
public struct MetadefNamespace: Sendable, Equatable {
    public var namespace: String
    public var displayName: String?
    public var description: String?
    public var visibility: String
    public var protected: Bool
    public var owner: String?
    /// Property name -> definition.
    public var properties: JSONObject
    /// Each with its `name`, `description`, `required` and `properties`.
    public var objects: [JSON]
    /// Each with its `name`, `prefix` and `properties_target`.
    public var resourceTypeAssociations: [JSON]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        namespace: String, displayName: String?, description: String?, visibility: String, protected: Bool,
        owner: String?, properties: JSONObject, objects: [JSON], resourceTypeAssociations: [JSON], now: Date
    ) {
        self.namespace = namespace
        self.displayName = displayName
        self.description = description
        self.visibility = visibility
        self.protected = protected
        self.owner = owner
        self.properties = properties
        self.objects = objects
        self.resourceTypeAssociations = resourceTypeAssociations
        self.createdAt = now
        self.updatedAt = now
    }

    var document: JSON {
        [
            "properties": .object(properties), "objects": .array(objects),
            "resource_type_associations": .array(resourceTypeAssociations),
        ]
    }
}

extension ImageStore {
    static func namespace(from row: any SQLRow) throws -> MetadefNamespace {
        let document = JSON.parse(Array(try row.string("document").utf8)) ?? [:]
        var namespace = MetadefNamespace(
            namespace: try row.string("namespace"), displayName: try row.optionalString("display_name"),
            description: try row.optionalString("description"), visibility: try row.string("visibility"),
            protected: try row.bool("protected"), owner: try row.optionalString("owner"),
            properties: document["properties"]?.objectValue ?? [:], objects: document["objects"]?.arrayValue ?? [],
            resourceTypeAssociations: document["resource_type_associations"]?.arrayValue ?? [],
            now: try row.date("created_at"))
        namespace.updatedAt = try row.date("updated_at")
        return namespace
    }

    public func metadefNamespaces() async throws -> [MetadefNamespace] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM metadef_namespaces ORDER BY namespace").all().map(Self.namespace(from:))
        }
    }

    public func metadefNamespace(_ name: String) async throws -> MetadefNamespace? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM metadef_namespaces WHERE namespace = \(bind: name)").first()
                .map(Self.namespace(from:))
        }
    }

    /// Stores the namespace; with `creating`, 409 when one of that name exists. `previousName` is the name it
    /// had (a rename).
    public func saveMetadefNamespace(_ namespace: MetadefNamespace, creating: Bool, previousName: String? = nil)
        async throws
    {
        try await database.write { sql in
            let existing = try await sql.raw(
                "SELECT namespace FROM metadef_namespaces WHERE namespace = \(bind: namespace.namespace)"
            ).first()
            if existing != nil, creating || (previousName != nil && previousName != namespace.namespace) {
                throw NovaError.conflict("Metadata definition namespace=\(namespace.namespace) already exists.")
            }
            try await sql.raw(
                "DELETE FROM metadef_namespaces WHERE namespace = \(bind: previousName ?? namespace.namespace)"
            ).run()
            try await sql.raw(
                """
                INSERT INTO metadef_namespaces (namespace, display_name, description, visibility, protected, owner,
                  document, created_at, updated_at)
                VALUES (\(bind: namespace.namespace), \(bind: namespace.displayName), \(bind: namespace.description),
                  \(bind: namespace.visibility), \(bind: namespace.protected ? 1 : 0), \(bind: namespace.owner),
                  \(bind: namespace.document.serialized()), \(bind: namespace.createdAt.stored),
                  \(bind: namespace.updatedAt.stored))
                """
            ).run()
        }
    }

    public func deleteMetadefNamespace(_ name: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM metadef_namespaces WHERE namespace = \(bind: name)").run()
        }
    }
}
