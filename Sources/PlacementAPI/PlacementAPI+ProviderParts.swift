import APISupport
import Hummingbird
import NovaCore
import PlacementCore

/// A provider's inventories, usages, aggregates, traits and allocations.
extension PlacementAPI {
    static func inventoryJSON(_ inventory: Inventory) -> JSON {
        [
            "total": .int(inventory.total), "reserved": .int(inventory.reserved), "min_unit": .int(inventory.minUnit),
            "max_unit": .int(inventory.maxUnit), "step_size": .int(inventory.stepSize),
            "allocation_ratio": .double(inventory.allocationRatio),
        ]
    }

    static func inventory(from body: JSON) throws -> Inventory {
        let total = try body.requiredInt("total", in: 1...CheckedInput.maxDatabaseInteger)
        var inventory = Inventory(total: total)
        for (key, value) in body.objectValue?.entries ?? [] {
            switch key {
            case "total", "resource_provider_generation", "resource_class": continue
            case "reserved": inventory.reserved = try integer(key, value, in: CheckedInput.databaseRange)
            case "min_unit": inventory.minUnit = try integer(key, value, in: 1...CheckedInput.maxDatabaseInteger)
            case "max_unit": inventory.maxUnit = try integer(key, value, in: 1...CheckedInput.maxDatabaseInteger)
            case "step_size": inventory.stepSize = try integer(key, value, in: 1...CheckedInput.maxDatabaseInteger)
            case "allocation_ratio":
                inventory.allocationRatio = try placementChecked {
                    () throws(NovaError) in
                    try CheckedInput.number(value, field: key, in: 0...PlacementSchemas.maxFloat) ?? 1
                }
            default:
                throw NovaError.badRequest(
                    "JSON does not validate: Additional properties are not allowed ('\(key)' was unexpected)")
            }
        }
        return inventory
    }

    /// A provider's name: Placement's schema takes 1 to 200 characters; control characters are refused too.
    static func providerName(_ value: JSON?) throws -> String {
        try placementChecked { () throws(NovaError) in
            guard let name = try CheckedInput.text(value, field: "name", length: 1...200) else {
                throw .badRequest("'name' is a required property")
            }
            return name
        }
    }

    /// A body integer in range through `CheckedInput`, with Placement's "JSON does not validate" wording.
    static func integer(_ key: String, _ value: JSON, in range: ClosedRange<Int>) throws -> Int {
        try placementChecked { () throws(NovaError) in
            try CheckedInput.requiredInteger(value, field: key, in: range)
        }
    }

    /// Runs a change whose inventory refusals Placement explains as `failure: <why>`.
    static func explaining<T>(_ failure: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as NovaError where error.code == .badRequest && error.message.hasPrefix("Invalid inventory") {
            throw NovaError.badRequest("\(failure): \(error.message)")
        }
    }

    /// Where a new resource is, as an absolute URL (WebOb makes a Location absolute).
    func location(_ request: Request, _ context: NovaRequestContext, _ path: String) -> String {
        request.baseURL(fallback: "") + context.placementRoot + path
    }

    /// Runs a `CheckedInput` conversion, its 400 worded as Placement's schema errors are.
    static func placementChecked<T>(_ body: () throws(NovaError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw NovaError(error.code, "JSON does not validate: " + error.message)
        }
    }

    func inventoriesResponse(_ provider: ResourceProvider, status: Int = 200) -> Response {
        let inventories = provider.inventories.sorted { $0.key < $1.key }.map { ($0.key, Self.inventoryJSON($0.value)) }
        return Response.json(
            [
                "inventories": .object(JSONObject(inventories)),
                "resource_provider_generation": .int(provider.generation),
            ], status: status)
    }

    func registerProviderParts(on root: RouterGroup<NovaRequestContext>) {
        let provider = root.group("resource_providers/{uuid}")
        provider.get("inventories") { _, context in
            try authorize(context, "resource_providers:inventories:list")
            return inventoriesResponse(try service.snapshot.provider(context.parameter("uuid")))
        }
        provider.put("inventories") { request, context in
            try authorize(context, "resource_providers:inventories:update")
            let uuid = context.parameter("uuid")
            let body = try await body(request, context, PlacementSchemas.putInventories)
            let generation = try body.requiredInt("resource_provider_generation")
            var inventories: [String: Inventory] = [:]
            for (name, value) in try body.requiredObject("inventories").entries {
                inventories[name] = try Self.inventory(from: value)
            }
            let updated = try await service.write { state in
                try Self.explaining("Unable to update inventory for resource provider \(uuid)") {
                    try state.setInventories(
                        uuid, generation: generation, inventories, reservedCanBeTotal: context.placementAtLeast(26))
                }
                return try state.provider(uuid)
            }
            return inventoriesResponse(updated)
        }
        provider.post("inventories") { request, context in
            try authorize(context, "resource_providers:inventories:create")
            let uuid = context.parameter("uuid")
            _ = try service.snapshot.provider(uuid)
            let body = try await body(request, context, PlacementSchemas.postInventory)
            let generation = try body["resource_provider_generation"].map {
                try Self.integer("resource_provider_generation", $0, in: CheckedInput.databaseRange)
            }
            guard let resourceClass = body["resource_class"]?.stringValue else {
                throw NovaError.badRequest("JSON does not validate: 'resource_class' is a required property")
            }
            let inventory = try Self.inventory(from: body)
            let failure = "Unable to create inventory for resource provider \(uuid)"
            let updated = try await service.write { state in
                guard state.isKnownClass(resourceClass) else {
                    throw NovaError.badRequest("\(failure): No such resource class \(resourceClass).")
                }
                if try state.provider(uuid).inventories[resourceClass] != nil {
                    throw NovaError(.conflict, "Update conflict: inventory for \(resourceClass) already exists")
                }
                try Self.explaining(failure) {
                    try state.setInventory(
                        uuid, resourceClass, generation: generation, inventory,
                        reservedCanBeTotal: context.placementAtLeast(26))
                }
                return try state.provider(uuid)
            }
            let location = location(request, context, "/resource_providers/\(uuid)/inventories/\(resourceClass)")
            return Response.json(singleInventory(updated, resourceClass), status: 201, headers: [.location: location])
        }
        provider.delete("inventories") { _, context in
            // Before 1.5 the path answers only GET, POST and PUT.
            guard context.placementAtLeast(5) else { throw MethodNotAllowed(method: "DELETE", allow: "GET, POST, PUT") }
            try authorize(context, "resource_providers:inventories:delete")
            try await service.write { try $0.setInventories(context.parameter("uuid"), generation: nil, [:]) }
            return Response.empty(status: 204)
        }
        provider.get("inventories/{rc}") { _, context in
            try authorize(context, "resource_providers:inventories:show")
            let found = try service.snapshot.provider(context.parameter("uuid"))
            guard found.inventories[context.parameter("rc")] != nil else {
                throw NovaError.notFound("No inventory of class \(context.parameter("rc")) for \(found.uuid)")
            }
            return Response.json(singleInventory(found, context.parameter("rc")))
        }
        provider.put("inventories/{rc}") { request, context in
            try authorize(context, "resource_providers:inventories:update")
            let uuid = context.parameter("uuid")
            let resourceClass = context.parameter("rc")
            let body = try await body(request, context, PlacementSchemas.inventory)
            let generation = try body.requiredInt("resource_provider_generation")
            let inventory = try Self.inventory(from: body)
            let updated = try await service.write { state in
                let current = try state.provider(uuid)
                guard current.generation == generation else {
                    throw NovaError(
                        .placementConflict,
                        "resource provider generation conflict: Resource provider's generation already changed. "
                            + "Please update the generation and try again.")
                }
                // The amounts are checked before whether the provider has the class, as Placement does.
                try Self.explaining("Unable to update inventory for resource provider \(uuid)") {
                    try inventory.validate(
                        resourceClass, provider: uuid, reservedCanBeTotal: context.placementAtLeast(26))
                }
                guard current.inventories[resourceClass] != nil else {
                    throw NovaError.badRequest(
                        "No inventory record with resource class for resource provider \(uuid): \(resourceClass)")
                }
                try Self.explaining("Unable to update inventory for resource provider \(uuid)") {
                    try state.setInventory(
                        uuid, resourceClass, generation: generation, inventory,
                        reservedCanBeTotal: context.placementAtLeast(26))
                }
                return try state.provider(uuid)
            }
            return Response.json(singleInventory(updated, resourceClass))
        }
        provider.delete("inventories/{rc}") { _, context in
            try authorize(context, "resource_providers:inventories:delete")
            try await service.write {
                try $0.deleteInventory(context.parameter("uuid"), context.parameter("rc"), generation: nil)
            }
            return Response.empty(status: 204)
        }
        provider.get("usages") { _, context in
            try authorize(context, "resource_providers:usages")
            let found = try service.snapshot.provider(context.parameter("uuid"))
            var usages = found.inventories.mapValues { _ in 0 }
            usages.merge(found.usages) { _, used in used }
            return Response.json([
                "usages": resourcesJSON(usages), "resource_provider_generation": .int(found.generation),
            ])
        }
        provider.get("allocations") { _, context in
            try authorize(context, "resource_providers:allocations:list")
            let state = service.snapshot
            let found = try state.provider(context.parameter("uuid"))
            let held = state.consumers.values.filter { $0.allocations[found.uuid] != nil }.sorted { $0.uuid < $1.uuid }
            let entries = held.map { ($0.uuid, JSON.object(["resources": resourcesJSON($0.allocations[found.uuid]!)])) }
            return Response.json([
                "allocations": .object(JSONObject(entries)),
                "resource_provider_generation": .int(found.generation),
            ])
        }
        registerAggregatesAndTraits(on: provider)
    }

    func singleInventory(_ provider: ResourceProvider, _ resourceClass: String) -> JSON {
        guard case .object(var body) = Self.inventoryJSON(provider.inventories[resourceClass] ?? Inventory(total: 0))
        else { return .null }
        body.append("resource_provider_generation", .int(provider.generation))
        return .object(body)
    }

    func registerAggregatesAndTraits(on provider: RouterGroup<NovaRequestContext>) {
        provider.get("aggregates") { _, context in
            try context.requirePlacement(1)
            try authorize(context, "resource_providers:aggregates:list")
            let found = try service.snapshot.provider(context.parameter("uuid"))
            return aggregatesResponse(found.aggregates.sorted(), found.generation, context)
        }
        provider.put("aggregates") { request, context in
            try context.requirePlacement(1)
            try authorize(context, "resource_providers:aggregates:update")
            let uuid = context.parameter("uuid")
            _ = try service.snapshot.provider(uuid)
            let body = try await body(request, context, PlacementSchemas.aggregates(context))
            var generation: Int?
            let list: [JSON]?
            if context.placementAtLeast(19) {
                generation = try body.requiredInt("resource_provider_generation")
                list = body["aggregates"]?.arrayValue
            } else {
                list = body.arrayValue
            }
            guard let list else { throw NovaError.badRequest("JSON does not validate: aggregates must be a list") }
            let aggregates = try list.map { value in
                guard let text = value.stringValue else {
                    throw NovaError.badRequest("JSON does not validate: aggregate uuid")
                }
                return try Self.normalisedUUID(text)
            }
            let updated = try await service.write { state in
                try state.setAggregates(uuid, generation: generation, Set(aggregates))
                return try state.provider(uuid)
            }
            // As Placement answers: the aggregates in the order they were sent.
            return aggregatesResponse(aggregates, updated.generation, context)
        }
        provider.get("traits") { _, context in
            try context.requirePlacement(6)
            try authorize(context, "resource_providers:traits:list")
            let found = try service.snapshot.provider(context.parameter("uuid"))
            return Response.json([
                "traits": stringArray(found.traits), "resource_provider_generation": .int(found.generation),
            ])
        }
        provider.put("traits") { request, context in
            try context.requirePlacement(6)
            try authorize(context, "resource_providers:traits:update")
            let uuid = context.parameter("uuid")
            let body = try await body(request, context, PlacementSchemas.providerTraits)
            let generation = try body.requiredInt("resource_provider_generation")
            guard let list = body["traits"]?.arrayValue else {
                throw NovaError.badRequest("JSON does not validate: 'traits' is a required property")
            }
            let traits = Set(list.compactMap(\.stringValue))
            let updated = try await service.write { state in
                try state.setTraits(uuid, generation: generation, traits)
                return try state.provider(uuid)
            }
            return Response.json([
                "traits": stringArray(updated.traits), "resource_provider_generation": .int(updated.generation),
            ])
        }
        provider.delete("traits") { _, context in
            try context.requirePlacement(6)
            try authorize(context, "resource_providers:traits:delete")
            try await service.write { try $0.setTraits(context.parameter("uuid"), generation: nil, []) }
            return Response.empty(status: 204)
        }
    }

    func aggregatesResponse(_ aggregates: [String], _ generation: Int, _ context: NovaRequestContext) -> Response {
        var body: JSONObject = ["aggregates": .array(aggregates.map(JSON.string))]
        if context.placementAtLeast(19) { body.append("resource_provider_generation", .int(generation)) }
        return Response.json(.object(body))
    }
}
