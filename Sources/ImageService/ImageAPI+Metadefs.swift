import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Glance's metadata definitions (`openstack image metadef namespace|property|object|resource type ...`):
/// a catalog that describes the properties images and flavors take. Anyone reads the public namespaces;
/// admins write, as Glance's default policy.
extension ImageAPI {
    static let metadefResourceTypes = [
        "OS::Glance::Image", "OS::Nova::Flavor", "OS::Nova::Server", "OS::Nova::Aggregate", "OS::Cinder::Volume",
    ]

    func registerMetadefs(on v2: RouterGroup<NovaRequestContext>) {
        let base = "metadefs/namespaces/{namespace}"
        v2.get("metadefs/resource_types") { _, _ in
            Response.json([
                "resource_types": .array(
                    Self.metadefResourceTypes.map { ["name": .string($0), "created_at": "2026-01-01T00:00:00Z"] })
            ])
        }
        v2.get("metadefs/namespaces") { request, context in
            let caller = try context.caller()
            var namespaces = try await store.metadefNamespaces().filter { Self.canRead($0, caller) }
            if let types = request.query["resource_types"] {
                let wanted = Set(types.split(separator: ",").map(String.init))
                namespaces = namespaces.filter { namespace in
                    namespace.resourceTypeAssociations.contains { wanted.contains($0["name"]?.stringValue ?? "") }
                }
            }
            if let visibility = request.query["visibility"] {
                namespaces = namespaces.filter { $0.visibility == visibility }
            }
            return Response.json([
                "namespaces": .array(namespaces.map { namespaceJSON($0, full: false) }),
                "first": "/v2/metadefs/namespaces", "schema": "/v2/schemas/metadefs/namespaces",
            ])
        }
        v2.post("metadefs/namespaces") { request, context in
            let caller = try requireMetadefAdmin(context)
            let body = try await request.jsonBody(context: context)
            guard let name = try CheckedInput.text(body["namespace"], field: "namespace", length: 1...80) else {
                throw NovaError.badRequest("'namespace' is a required property")
            }
            var namespace = MetadefNamespace(
                namespace: name, displayName: nil, description: nil, visibility: "private", protected: false,
                owner: caller.projectID, properties: [:], objects: [], resourceTypeAssociations: [], now: clock.now)
            try applyNamespace(body, to: &namespace)
            namespace.properties = body["properties"]?.objectValue ?? [:]
            namespace.objects = body["objects"]?.arrayValue ?? []
            namespace.resourceTypeAssociations = body["resource_type_associations"]?.arrayValue ?? []
            try await store.saveMetadefNamespace(namespace, creating: true)
            return Response.json(namespaceJSON(namespace, full: true), status: 201)
        }
        v2.get(RouterPath(base)) { _, context in
            Response.json(namespaceJSON(try await readableNamespace(context), full: true))
        }
        v2.put(RouterPath(base)) { request, context in
            _ = try requireMetadefAdmin(context)
            var namespace = try await readableNamespace(context)
            let previous = namespace.namespace
            let body = try await request.jsonBody(context: context)
            if let name = try CheckedInput.text(body["namespace"], field: "namespace", length: 1...80) {
                namespace.namespace = name
            }
            try applyNamespace(body, to: &namespace)
            namespace.updatedAt = clock.now
            try await store.saveMetadefNamespace(namespace, creating: false, previousName: previous)
            return Response.json(namespaceJSON(namespace, full: false))
        }
        v2.delete(RouterPath(base)) { _, context in
            _ = try requireMetadefAdmin(context)
            let namespace = try await readableNamespace(context)
            guard !namespace.protected else {
                throw NovaError.forbidden("Namespace \(namespace.namespace) is protected and cannot be deleted.")
            }
            try await store.deleteMetadefNamespace(namespace.namespace)
            return Response.empty(status: 204)
        }
        registerMetadefMembers(base: base, on: v2)
    }

    /// Properties, objects and resource type associations of one namespace.
    func registerMetadefMembers(base: String, on v2: RouterGroup<NovaRequestContext>) {
        v2.get(RouterPath(base + "/properties")) { _, context in
            Response.json(["properties": .object(try await readableNamespace(context).properties)])
        }
        v2.post(RouterPath(base + "/properties")) { request, context in
            let (namespace, definition, name) = try await metadefMember(request, context)
            guard namespace.properties[name] == nil else {
                throw NovaError.conflict("A metadata definition property with name=\(name) already exists.")
            }
            try await changeNamespace(namespace) { $0.properties[name] = definition }
            return Response.json(propertyJSON(name, definition), status: 201)
        }
        v2.get(RouterPath(base + "/properties/{name}")) { _, context in
            let name = context.parameter("name")
            guard let definition = try await readableNamespace(context).properties[name] else {
                throw NovaError.notFound("Metadata definition property=\(name) not found.")
            }
            return Response.json(propertyJSON(name, definition))
        }
        v2.put(RouterPath(base + "/properties/{name}")) { request, context in
            let (namespace, definition, name) = try await metadefMember(request, context)
            let old = context.parameter("name")
            guard namespace.properties[old] != nil else {
                throw NovaError.notFound("Metadata definition property=\(old) not found.")
            }
            try await changeNamespace(namespace) { namespace in
                namespace.properties[old] = nil
                namespace.properties[name] = definition
            }
            return Response.json(propertyJSON(name, definition))
        }
        v2.delete(RouterPath(base + "/properties/{name}")) { _, context in
            _ = try requireMetadefAdmin(context)
            let namespace = try await readableNamespace(context)
            let name = context.parameter("name")
            guard namespace.properties[name] != nil else {
                throw NovaError.notFound("Metadata definition property=\(name) not found.")
            }
            try await changeNamespace(namespace) { $0.properties[name] = nil }
            return Response.empty(status: 204)
        }
        registerMetadefLists(base: base, on: v2)
    }

    /// Objects and resource type associations: lists of named entries.
    func registerMetadefLists(base: String, on v2: RouterGroup<NovaRequestContext>) {
        for (path, key, label) in [
            ("objects", \MetadefNamespace.objects, "object"),
            ("resource_types", \MetadefNamespace.resourceTypeAssociations, "resource type association"),
        ] {
            let listKey = path == "objects" ? "objects" : "resource_type_associations"
            v2.get(RouterPath(base + "/" + path)) { _, context in
                Response.json([listKey: .array(try await readableNamespace(context)[keyPath: key])])
            }
            v2.post(RouterPath(base + "/" + path)) { request, context in
                let (namespace, entry, name) = try await metadefMember(request, context)
                guard !namespace[keyPath: key].contains(where: { $0["name"]?.stringValue == name }) else {
                    throw NovaError.conflict("A metadata definition \(label) with name=\(name) already exists.")
                }
                var stored = entry.objectValue ?? [:]
                stored["name"] = .string(name)
                stored["created_at"] = .string(Timestamp.iso(clock.now))
                let final = JSON.object(stored)
                try await changeNamespace(namespace) { $0[keyPath: key].append(final) }
                return Response.json(final, status: 201)
            }
            v2.get(RouterPath(base + "/" + path + "/{name}")) { _, context in
                let name = context.parameter("name")
                guard
                    let entry = try await readableNamespace(context)[keyPath: key].first(where: {
                        $0["name"]?.stringValue == name
                    })
                else { throw NovaError.notFound("Metadata definition \(label)=\(name) not found.") }
                return Response.json(entry)
            }
            v2.delete(RouterPath(base + "/" + path + "/{name}")) { _, context in
                _ = try requireMetadefAdmin(context)
                let namespace = try await readableNamespace(context)
                let name = context.parameter("name")
                guard namespace[keyPath: key].contains(where: { $0["name"]?.stringValue == name }) else {
                    throw NovaError.notFound("Metadata definition \(label)=\(name) not found.")
                }
                try await changeNamespace(namespace) { $0[keyPath: key].removeAll { $0["name"]?.stringValue == name } }
                return Response.empty(status: 204)
            }
        }
    }

    static func canRead(_ namespace: MetadefNamespace, _ caller: Credentials) -> Bool {
        namespace.visibility == "public" || caller.isAdmin || namespace.owner == caller.projectID
    }

    func readableNamespace(_ context: NovaRequestContext) async throws -> MetadefNamespace {
        let caller = try context.caller()
        let name = context.parameter("namespace")
        guard let namespace = try await store.metadefNamespace(name), Self.canRead(namespace, caller) else {
            throw NovaError.notFound("Metadata definition namespace=\(name) was not found.")
        }
        return namespace
    }

    func requireMetadefAdmin(_ context: NovaRequestContext) throws -> Credentials {
        let caller = try context.caller()
        guard caller.isAdmin else {
            throw NovaError.forbidden(
                "You are not authorized to complete this action: metadata definitions are an admin's.")
        }
        return caller
    }

    /// A write to a namespace's property, object or association: the namespace, the body, its name.
    func metadefMember(_ request: Request, _ context: NovaRequestContext) async throws -> (
        MetadefNamespace, JSON, String
    ) {
        _ = try requireMetadefAdmin(context)
        let namespace = try await readableNamespace(context)
        let body = try await request.jsonBody(context: context)
        guard body.objectValue != nil, let name = try CheckedInput.text(body["name"], field: "name", length: 1...255)
        else { throw NovaError.badRequest("'name' is a required property") }
        if body.serialized().utf8.count > 65536 {
            throw NovaError.badRequest("A metadata definition is at most 64 KiB.")
        }
        var definition = body.objectValue ?? [:]
        definition["name"] = nil
        return (namespace, .object(definition), name)
    }

    func changeNamespace(_ namespace: MetadefNamespace, _ change: (inout MetadefNamespace) -> Void) async throws {
        var changed = namespace
        change(&changed)
        changed.updatedAt = clock.now
        try await store.saveMetadefNamespace(changed, creating: false)
    }

    func applyNamespace(_ body: JSON, to namespace: inout MetadefNamespace) throws {
        if let text = body["display_name"] {
            namespace.displayName = try CheckedInput.text(text, field: "display_name", length: 0...80)
        }
        if let text = body["description"] {
            namespace.description = try CheckedInput.text(text, field: "description", length: 0...500)
        }
        if let visibility = body["visibility"] {
            guard let text = visibility.stringValue, ["public", "private"].contains(text) else {
                throw NovaError.badRequest("Invalid visibility value: public or private.")
            }
            namespace.visibility = text
        }
        if let flag = body["protected"] {
            guard let value = flag.boolValue else { throw NovaError.badRequest("protected must be a boolean") }
            namespace.protected = value
        }
    }

    func propertyJSON(_ name: String, _ definition: JSON) -> JSON {
        var json = definition.objectValue ?? [:]
        json["name"] = .string(name)
        return .object(json)
    }

    func namespaceJSON(_ namespace: MetadefNamespace, full: Bool) -> JSON {
        var json: JSONObject = [
            "namespace": .string(namespace.namespace), "display_name": .optional(namespace.displayName),
            "description": .optional(namespace.description), "visibility": .string(namespace.visibility),
            "protected": .bool(namespace.protected), "owner": .optional(namespace.owner),
            "created_at": .string(Timestamp.iso(namespace.createdAt)),
            "updated_at": .string(Timestamp.iso(namespace.updatedAt)),
            "self": .string("/v2/metadefs/namespaces/\(namespace.namespace)"),
            "schema": "/v2/schemas/metadefs/namespace",
            "resource_type_associations": .array(namespace.resourceTypeAssociations),
        ]
        if full {
            if !namespace.properties.entries.isEmpty { json["properties"] = .object(namespace.properties) }
            if !namespace.objects.isEmpty { json["objects"] = .array(namespace.objects) }
        }
        return .object(json)
    }
}
