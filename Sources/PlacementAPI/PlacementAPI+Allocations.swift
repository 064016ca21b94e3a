import APISupport
import Hummingbird
import NovaCore
import PlacementCore

/// /allocations/{consumer}, POST /allocations (1.13), /usages (1.9) and /reshaper (1.30).
extension PlacementAPI {
    func registerAllocations(on root: RouterGroup<NovaRequestContext>) {
        root.get("allocations/{consumer}") { _, context in
            try authorize(context, "allocations:list")
            let state = service.snapshot
            guard let consumer = state.consumers[context.parameter("consumer")] else {
                return Response.json(["allocations": [:]])
            }
            let entries = consumer.allocations.sorted { $0.key < $1.key }.map { uuid, resources in
                (
                    uuid,
                    JSON.object([
                        "generation": .int(state.providers[uuid]?.generation ?? 0),
                        "resources": resourcesJSON(resources),
                    ])
                )
            }
            var body: JSONObject = ["allocations": .object(JSONObject(entries))]
            if context.placementAtLeast(12) {
                body.append("project_id", .string(consumer.projectID))
                body.append("user_id", .string(consumer.userID))
            }
            if context.placementAtLeast(28) { body.append("consumer_generation", .int(consumer.generation)) }
            if context.placementAtLeast(38) { body.append("consumer_type", .string(consumer.consumerType)) }
            return Response.json(.object(body))
        }
        root.put("allocations/{consumer}") { request, context in
            try authorize(context, "allocations:update")
            guard let consumer = try? Self.normalisedUUID(context.parameter("consumer")) else {
                throw NovaError.badRequest("Malformed consumer_uuid: \(context.parameter("consumer"))")
            }
            let body = try await body(request, context, PlacementSchemas.consumer(context))
            let write = try allocationWrite(consumer, body, context)
            guard !write.allocations.isEmpty || context.placementAtLeast(28) else {
                throw NovaError.badRequest("JSON does not validate: allocations must not be empty")
            }
            try await service.write { try $0.writeAllocations([write]) }
            return Response.empty(status: 204)
        }
        root.delete("allocations/{consumer}") { _, context in
            try authorize(context, "allocations:delete")
            try await service.write { try $0.deleteAllocations(context.parameter("consumer")) }
            return Response.empty(status: 204)
        }
        root.post("allocations") { request, context in
            try context.requirePlacement(13)
            try authorize(context, "allocations:manage")
            let body = try await body(request, context, PlacementSchemas.consumers(context))
            guard let consumers = body.objectValue else {
                throw NovaError.badRequest("JSON does not validate: the body must be an object of consumers")
            }
            let writes = try consumers.entries.map { uuid, value in
                try allocationWrite(try Self.normalisedUUID(uuid), value, context)
            }
            try await service.write { try $0.writeAllocations(writes) }
            return Response.empty(status: 204)
        }
        root.get("usages") { request, context in
            try context.requirePlacement(9)
            try authorize(context, "usages", targetProject: request.query["project_id"])
            try validateQuery(request, PlacementSchemas.usagesQuery(context))
            guard let project = request.query["project_id"] else {
                throw NovaError.badRequest("Invalid query string parameters: 'project_id' is a required property")
            }
            let byType = service.snapshot.usages(
                projectID: project, userID: request.query["user_id"], consumerType: request.query["consumer_type"])
            guard context.placementAtLeast(38) else {
                let total = byType.values.reduce(into: [String: Int]()) { $0.merge($1.amounts, uniquingKeysWith: +) }
                return Response.json(["usages": resourcesJSON(total)])
            }
            let entries = byType.sorted { $0.key < $1.key }.map { type, usage in
                var body = JSONObject([("consumer_count", .int(usage.consumers))])
                for (name, amount) in usage.amounts.sorted(by: { $0.key < $1.key }) { body.append(name, .int(amount)) }
                return (type, JSON.object(body))
            }
            return Response.json(["usages": .object(JSONObject(entries))])
        }
        root.post("reshaper") { request, context in
            try context.requirePlacement(30)
            try authorize(context, "reshaper:reshape")
            let body = try await body(request, context, PlacementSchemas.reshaper(context))
            var inventories: [(String, Int, [String: Inventory])] = []
            for (uuid, value) in try body.requiredObject("inventories").entries {
                var set: [String: Inventory] = [:]
                for (name, inventory) in try value.requiredObject("inventories").entries {
                    set[name] = try Self.inventory(from: inventory)
                }
                inventories.append(
                    (try Self.normalisedUUID(uuid), try value.requiredInt("resource_provider_generation"), set))
            }
            let writes = try body.requiredObject("allocations").entries.map { uuid, value in
                try allocationWrite(try Self.normalisedUUID(uuid), value, context)
            }
            try await service.write { state in
                try state.reshape(inventories: inventories, allocations: writes)
            }
            return Response.empty(status: 204)
        }
    }

    /// `[placement] incomplete_consumer_project_id` and `_user_id`'s default.
    static let incompleteConsumerID = "00000000-0000-0000-0000-000000000000"

    /// One consumer's allocations from a PUT body (list form before 1.12, dictionary form after).
    func allocationWrite(_ consumer: String, _ body: JSON, _ context: NovaRequestContext) throws -> AllocationWrite {
        var allocations: [String: [String: Int]] = [:]
        if context.placementAtLeast(12) {
            for (uuid, value) in try body.requiredObject("allocations").entries {
                guard let resources = value["resources"] else {
                    throw NovaError.badRequest("JSON does not validate: 'resources' is a required property")
                }
                allocations[uuid] = try resources.resourceAmounts()
            }
        } else {
            guard let list = body["allocations"]?.arrayValue, !list.isEmpty else {
                throw NovaError.badRequest("JSON does not validate: 'allocations' must be a non-empty list")
            }
            for item in list {
                guard let uuid = item["resource_provider"]?["uuid"]?.stringValue, let resources = item["resources"]
                else {
                    throw NovaError.badRequest(
                        "JSON does not validate: resource_provider.uuid and resources are required")
                }
                allocations[uuid] = try resources.resourceAmounts()
            }
        }
        let needsOwner = context.placementAtLeast(8)
        let project = body["project_id"]?.stringValue
        let user = body["user_id"]?.stringValue
        if needsOwner, project == nil || user == nil {
            throw NovaError.badRequest("JSON does not validate: 'project_id' and 'user_id' are required properties")
        }
        var generation: Int?
        if context.placementAtLeast(28) {
            guard let value = body["consumer_generation"] else {
                throw NovaError.badRequest("JSON does not validate: 'consumer_generation' is a required property")
            }
            generation = value.isNull ? nil : try PlacementAPI.integer("consumer_generation", value, in: 0...Int.max)
        }
        var consumerType: String?
        if context.placementAtLeast(38) {
            guard let type = body["consumer_type"]?.stringValue else {
                throw NovaError.badRequest("JSON does not validate: 'consumer_type' is a required property")
            }
            consumerType = type
        }
        // A consumer written before 1.8 has no owner: Placement records its incomplete-consumer ids.
        return AllocationWrite(
            consumerUUID: consumer, allocations: allocations, projectID: project ?? Self.incompleteConsumerID,
            userID: user ?? Self.incompleteConsumerID,
            consumerGeneration: generation, checkGeneration: context.placementAtLeast(28), consumerType: consumerType)
    }
}
