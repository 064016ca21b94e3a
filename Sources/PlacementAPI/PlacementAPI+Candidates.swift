import APISupport
import Hummingbird
import NovaCore
import PlacementCore

/// GET /allocation_candidates (1.10+).
extension PlacementAPI {
    func registerCandidates(on root: RouterGroup<NovaRequestContext>) {
        root.get("allocation_candidates") { request, context in
            try context.requirePlacement(10)
            try authorize(context, "allocation_candidates:list")
            try validateQuery(request, PlacementSchemas.candidatesQuery(context))
            let state = service.snapshot
            let query = try CandidateQueryParser.parse(request.query, version: context.placementVersion, state: state)
            var result = service.candidates(query, in: state)
            if !context.placementAtLeast(29) { result = Self.blindToNesting(result, state) }
            let requested = Set(query.groups.flatMap(\.resources.keys))
            var writer = JSONWriter(capacity: 256 + 512 * result.summaries.count)
            writer.beginObject()
            writer.key("allocation_requests")
            writer.beginArray()
            for request in result.requests {
                if context.placementAtLeast(12) {
                    writeRequest(request, &writer, mappings: context.placementAtLeast(34))
                } else {
                    writer.value(requestJSON(request, context))
                }
            }
            writer.endArray()
            writer.key("provider_summaries")
            writer.beginObject()
            for provider in result.summaries {
                writer.key(provider.uuid)
                writeSummary(provider, requested, context, &writer)
            }
            writer.endObject()
            writer.endObject()
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
        }
        // Not in OpenStack's Placement: why each root provider gave no candidate, for the scheduler's
        // explanation when it runs in another process (RemotePlacement.explainRejections).
        root.get("allocation_candidates/rejections") { request, context in
            try authorize(context, "allocation_candidates:list")
            let state = service.snapshot
            let query = try CandidateQueryParser.parse(request.query, version: context.placementVersion, state: state)
            let reasons = state.explainRejections(query).sorted { $0.key < $1.key }
            return Response.json(["rejections": .object(JSONObject(reasons.map { ($0.key, JSON.string($0.value)) }))])
        }
    }

    /// `{"allocations": {rp: {"resources": {...}}}, "mappings": {...}}` (1.12+), written directly.
    func writeRequest(_ request: AllocationRequest, _ writer: inout JSONWriter, mappings: Bool) {
        writer.beginObject()
        writer.key("allocations")
        writer.beginObject()
        for (uuid, resources) in request.allocations.sorted(by: { $0.key < $1.key }) {
            writer.key(uuid)
            writer.beginObject()
            writer.key("resources")
            writer.intObject(resources)
            writer.endObject()
        }
        writer.endObject()
        if mappings {
            writer.key("mappings")
            writer.beginObject()
            for (suffix, uuids) in request.mappings.sorted(by: { $0.key < $1.key }) {
                writer.key(suffix)
                writer.stringArray(uuids.sorted())
            }
            writer.endObject()
        }
        writer.endObject()
    }

    func writeSummary(
        _ provider: ResourceProvider, _ requested: Set<String>, _ context: NovaRequestContext,
        _ writer: inout JSONWriter
    ) {
        writer.beginObject()
        writer.key("resources")
        writer.beginObject()
        for name in provider.inventories.keys.sorted() where context.placementAtLeast(27) || requested.contains(name) {
            writer.key(name)
            writer.beginObject()
            writer.key("capacity")
            writer.int(provider.inventories[name]?.capacity ?? 0)
            writer.key("used")
            writer.int(provider.usages[name] ?? 0)
            writer.endObject()
        }
        writer.endObject()
        if context.placementAtLeast(17) {
            writer.key("traits")
            writer.stringArray(provider.traits.sorted())
        }
        if context.placementAtLeast(29) {
            writer.key("parent_provider_uuid")
            if let parent = provider.parentUUID { writer.string(parent) } else { writer.null() }
            writer.key("root_provider_uuid")
            writer.string(provider.rootUUID)
        }
        writer.endObject()
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
            "allocations": .object(JSONObject(sorted.map { ($0.key, ["resources": resourcesJSON($0.value)]) }))
        ]
        if context.placementAtLeast(34) {
            body.append(
                "mappings",
                .object(
                    JSONObject(
                        request.mappings.sorted { $0.key < $1.key }.map { ($0.key, stringArray($0.value)) })))
        }
        return .object(body)
    }

    /// Before 1.29 a client cannot see trees: a request that takes from two providers of one tree is left
    /// out, and the summaries are of the providers the remaining requests use.
    static func blindToNesting(_ result: CandidateResult, _ state: PlacementState) -> CandidateResult {
        var result = result
        result.requests = result.requests.filter { request in
            let roots = Set(request.allocations.keys.map { state.providers[$0]?.rootUUID ?? $0 })
            return roots.count == request.allocations.count
        }
        let used = Set(result.requests.flatMap(\.allocations.keys))
        result.summaries = result.summaries.filter { used.contains($0.uuid) }
        return result
    }
}
