import APISupport
import Hummingbird
import NovaCore
import PlacementCore

/// GET /allocation_candidates (1.10+).
extension PlacementAPI {
    func registerCandidates(on root: RouterGroup<NovaRequestContext>) {
        root.get("allocation_candidates") { request, context in
            try context.requirePlacement(10)
            try context.placementAdmin("allocation_candidates:list")
            let state = service.snapshot
            let query = try CandidateQueryParser.parse(request.query, version: context.placementVersion, state: state)
            let result = state.allocationCandidates(query)
            let requested = Set(query.groups.flatMap(\.resources.keys))
            return Response.json([
                "allocation_requests": .array(result.requests.map { requestJSON($0, context) }),
                "provider_summaries": .object(
                    JSONObject(entries: result.summaries.map { ($0.uuid, summaryJSON($0, requested, context)) })),
            ])
        }
    }

    func requestJSON(_ request: AllocationRequest, _ context: NovaRequestContext) -> JSON {
        let sorted = request.allocations.sorted { $0.key < $1.key }
        guard context.placementAtLeast(12) else {
            return [
                "allocations": .array(
                    sorted.map {
                        ["resource_provider": ["uuid": .string($0.key)], "resources": resourcesJSON($0.value)]
                    })
            ]
        }
        var body: JSONObject = [
            "allocations": .object(JSONObject(entries: sorted.map { ($0.key, ["resources": resourcesJSON($0.value)]) }))
        ]
        if context.placementAtLeast(34) {
            body.append(
                "mappings",
                .object(
                    JSONObject(
                        entries: request.mappings.sorted { $0.key < $1.key }.map { ($0.key, stringArray($0.value)) })))
        }
        return .object(body)
    }

    func summaryJSON(_ provider: ResourceProvider, _ requested: Set<String>, _ context: NovaRequestContext) -> JSON {
        let classes = provider.inventories.keys.filter { context.placementAtLeast(27) || requested.contains($0) }
            .sorted()
        let resources = classes.map { name in
            (
                name,
                JSON.object([
                    "capacity": .int(provider.inventories[name]?.capacity ?? 0),
                    "used": .int(provider.usages[name] ?? 0),
                ])
            )
        }
        var body: JSONObject = ["resources": .object(JSONObject(entries: resources))]
        if context.placementAtLeast(17) { body.append("traits", stringArray(provider.traits)) }
        if context.placementAtLeast(29) {
            body.append("parent_provider_uuid", .optional(provider.parentUUID))
            body.append("root_provider_uuid", .string(provider.rootUUID))
        }
        return .object(body)
    }
}
