import APISupport
import Hummingbird
import NovaCore
import PlacementCore

/// GET /allocation_candidates (1.10+).
extension PlacementAPI {
    static let answerPiece = 200_000

    func registerCandidates(on root: RouterGroup<NovaRequestContext>) {
        root.get("allocation_candidates") { request, context in
            try context.requirePlacement(10)
            try authorize(context, "allocation_candidates:list")
            try validateQuery(request, PlacementSchemas.candidatesQuery(context))
            let state = service.snapshot
            let query = try CandidateQueryParser.parse(request.query, version: context.placementVersion, state: state)
            var result = service.candidates(query, in: state)
            if !context.placementAtLeast(29) { result = Self.blindToNesting(result, state) }
            let form = ResourceProvider.SummaryForm(
                classes: context.placementAtLeast(27) ? nil : Set(query.groups.flatMap(\.resources.keys)),
                traits: context.placementAtLeast(17), tree: context.placementAtLeast(29))
            // Written in pieces of about 200 KB: an answer for thousands of providers is megabytes, and
            // blocks that size, allocated and freed on every call, would each be faulted in afresh.
            var writer = JSONWriter(capacity: Self.answerPiece + 8192)
            var pieces: [ByteBuffer] = []
            func sendFull() {
                if writer.bytes.count >= Self.answerPiece { writer.drain { pieces.append(ByteBuffer(bytes: $0)) } }
            }
            writer.beginObject()
            writer.key("allocation_requests")
            writer.beginArray()
            var requestWriter = CandidateRequestWriter(mappings: context.placementAtLeast(34))
            for request in result.requests {
                if context.placementAtLeast(12) {
                    requestWriter.write(request, into: &writer)
                } else {
                    writer.value(requestJSON(request, context))
                }
                sendFull()
            }
            writer.endArray()
            writer.key("provider_summaries")
            writer.beginObject()
            for provider in result.summaries {
                writer.key(provider.uuid)
                provider.writeSummary(form, into: &writer)
                sendFull()
            }
            writer.endObject()
            writer.endObject()
            writer.drain { pieces.append(ByteBuffer(bytes: $0)) }
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(contentsOf: pieces))
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

/// Writes allocation requests (1.12+) as `{"allocations": {rp: {"resources": {...}}}, "mappings": {...}}`.
/// Most requests of one answer allocate the same resources, so their object is written once and reused.
struct CandidateRequestWriter {
    let mappings: Bool
    private var lastResources: [String: Int] = [:]
    private var lastResourcesJSON: [UInt8] = []

    init(mappings: Bool) { self.mappings = mappings }

    mutating func write(_ request: AllocationRequest, into writer: inout JSONWriter) {
        // A request from one provider (most of them) is written without making its dictionaries.
        let sole = request.sole
        writer.beginObject()
        writer.key("allocations")
        writer.beginObject()
        if let sole {
            writeAllocation(sole.provider, sole.resources, into: &writer)
        } else {
            for (uuid, resources) in Self.inKeyOrder(request.allocations) {
                writeAllocation(uuid, resources, into: &writer)
            }
        }
        writer.endObject()
        if mappings {
            writer.key("mappings")
            writer.beginObject()
            if let sole {
                writer.key("")
                writer.beginArray()
                writer.string(sole.provider)
                writer.endArray()
            } else {
                for (suffix, uuids) in Self.inKeyOrder(request.mappings) {
                    writer.key(suffix)
                    writer.stringArray(uuids.sorted())
                }
            }
            writer.endObject()
        }
        writer.endObject()
    }

    private mutating func writeAllocation(_ uuid: String, _ resources: [String: Int], into writer: inout JSONWriter) {
        writer.key(uuid)
        writer.beginObject()
        writer.key("resources")
        writeResources(resources, into: &writer)
        writer.endObject()
    }

    private mutating func writeResources(_ resources: [String: Int], into writer: inout JSONWriter) {
        if resources != lastResources || lastResourcesJSON.isEmpty {
            var object = JSONWriter(capacity: 64)
            object.intObject(resources)
            lastResources = resources
            lastResourcesJSON = object.bytes
        }
        writer.raw(lastResourcesJSON)
    }

    /// A dictionary's pairs by key; one pair (the common request) needs no sorting.
    static func inKeyOrder<Value>(_ dictionary: [String: Value]) -> [(key: String, value: Value)] {
        dictionary.count == 1 ? Array(dictionary) : dictionary.sorted { $0.key < $1.key }
    }
}
