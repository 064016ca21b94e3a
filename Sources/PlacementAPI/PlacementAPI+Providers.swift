import APISupport
import Foundation
import Hummingbird
import NovaCore
import PlacementCore

extension PlacementAPI {
    func providerJSON(_ provider: ResourceProvider, _ context: NovaRequestContext) -> JSON {
        let base = "\(context.placementRoot)/resource_providers/\(provider.uuid)"
        var links: [JSON] = [
            ["rel": "self", "href": .string(base)], ["rel": "inventories", "href": .string(base + "/inventories")],
            ["rel": "usages", "href": .string(base + "/usages")],
        ]
        if context.placementAtLeast(1) { links.append(["rel": "aggregates", "href": .string(base + "/aggregates")]) }
        if context.placementAtLeast(6) { links.append(["rel": "traits", "href": .string(base + "/traits")]) }
        if context.placementAtLeast(11) {
            links.append(["rel": "allocations", "href": .string(base + "/allocations")])
        }
        var body: JSONObject = [
            "uuid": .string(provider.uuid), "name": .string(provider.name), "generation": .int(provider.generation),
            "links": .array(links),
        ]
        if context.placementAtLeast(14) {
            body.append("parent_provider_uuid", .optional(provider.parentUUID))
            body.append("root_provider_uuid", .string(provider.rootUUID))
        }
        return .object(body)
    }

    func registerProviders(on root: RouterGroup<NovaRequestContext>) {
        root.get("resource_providers") { request, context in
            try authorize(context, "resource_providers:list")
            try validateQuery(request, PlacementSchemas.providersQuery(context))
            let state = service.snapshot
            let filter = try ProviderFilter(request.query, context, state)
            let providers = state.order.compactMap { state.providers[$0] }.filter { filter.matches($0, state) }
            return Response.json(["resource_providers": .array(providers.map { providerJSON($0, context) })])
        }
        root.post("resource_providers") { request, context in
            try authorize(context, "resource_providers:create")
            let body = try await body(request, context, PlacementSchemas.provider(context, creating: true))
            let name = try Self.providerName(body["name"])
            let uuid = try body["uuid"]?.stringValue.map(Self.normalisedUUID)
            var parent: String?
            if context.placementAtLeast(14), let value = body["parent_provider_uuid"]?.stringValue {
                parent = try Self.normalisedUUID(value)
            }
            let provider = try await service.write {
                try $0.createProvider(uuid: uuid, name: name, parentUUID: parent)
            }
            let location = location(request, context, "/resource_providers/\(provider.uuid)")
            // From 1.20 the answer is the provider, 200 with its location.
            guard context.placementAtLeast(20) else { return Response.created(nil, location: location) }
            return Response.json(providerJSON(provider, context), headers: [.location: location])
        }
        root.get("resource_providers/{uuid}") { _, context in
            try authorize(context, "resource_providers:show")
            return Response.json(providerJSON(try service.snapshot.provider(context.parameter("uuid")), context))
        }
        root.put("resource_providers/{uuid}") { request, context in
            try authorize(context, "resource_providers:update")
            let uuid = context.parameter("uuid")
            let body = try await body(request, context, PlacementSchemas.provider(context, creating: false))
            let name = try Self.providerName(body["name"])
            let current = try service.snapshot.provider(uuid)
            var parent = current.parentUUID
            if context.placementAtLeast(14), let value = body["parent_provider_uuid"] {
                parent = try value.stringValue.map(Self.normalisedUUID)
            }
            let updated = try await service.write { state in
                try state.updateProvider(
                    uuid, name: name, parentUUID: parent, allowReparenting: context.placementAtLeast(37))
                return try state.provider(uuid)
            }
            return Response.json(providerJSON(updated, context))
        }
        root.delete("resource_providers/{uuid}") { _, context in
            try authorize(context, "resource_providers:delete")
            let uuid = context.parameter("uuid")
            guard service.snapshot.providers[uuid] != nil else {
                throw NovaError(.providerNotFound, "No resource provider with uuid \(uuid) found for delete")
            }
            try await service.write { try $0.deleteProvider(uuid) }
            return Response.empty(status: 204)
        }
    }

    /// A UUID as Placement stores it (lower case, dashed) from any form oslo takes (dashless, braces, urn:uuid:).
    static func normalisedUUID(_ text: String) throws -> String {
        var body = Substring(text.lowercased())
        if body.hasPrefix("urn:uuid:") { body = body.dropFirst(9) }
        if body.hasPrefix("{"), body.hasSuffix("}") { body = body.dropFirst().dropLast() }
        let digits = Array(body.filter { $0 != "-" })
        guard digits.count == 32, digits.allSatisfy(\.isHexDigit) else {
            throw NovaError.badRequest("JSON does not validate: '\(text)' is not a 'uuid'")
        }
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(digits[$0]) }
        return groups.joined(separator: "-")
    }
}

/// GET /resource_providers filters: name, uuid, member_of (1.3), resources (1.4), in_tree (1.14), required (1.18).
struct ProviderFilter {
    var name: String?
    var uuid: String?
    var memberOf = AggregateRule()
    var resources: [String: Int] = [:]
    var inTreeRoot: String?
    var traits = TraitRule()

    /// The query's keys were checked against the schema of the version first (PlacementSchemas.providersQuery).
    init(_ query: QueryParameters, _ context: NovaRequestContext, _ state: PlacementState) throws {
        let version = context.placementVersion
        name = query.all("name").last
        uuid = try query.all("uuid").last.map(PlacementAPI.normalisedUUID)
        memberOf = try PlacementQueryValues.memberOf(query.all("member_of"), suffix: "", version: version)
        if let text = query.all("resources").last { resources = try PlacementQueryValues.resources(text, state) }
        if let tree = query.all("in_tree").last {
            inTreeRoot = state.providers[try PlacementQueryValues.inTree(tree)]?.rootUUID ?? "-none-"
        }
        let required = query.all("required")
        if !required.isEmpty { traits = try PlacementQueryValues.traits(required, version: version, state: state) }
    }

    func matches(_ provider: ResourceProvider, _ state: PlacementState) -> Bool {
        if let name, provider.name != name { return false }
        if let uuid, provider.uuid != uuid { return false }
        if let inTreeRoot, provider.rootUUID != inTreeRoot { return false }
        if !memberOf.isEmpty {
            let root = state.providers[provider.rootUUID]?.aggregates ?? []
            if !memberOf.matches(provider.aggregates.union(root)) { return false }
        }
        if !traits.matches(provider.traits) { return false }
        return resources.allSatisfy { provider.canAllocate($0.key, $0.value) }
    }
}
