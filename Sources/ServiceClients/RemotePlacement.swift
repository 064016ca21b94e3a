import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NovaCore
import PlacementCore

/// Placement over its HTTP API (nova/scheduler/client/report.py): what the scheduler, conductor, compute
/// hosts and compute API use when Placement runs in a process of its own. Writes that race another writer
/// (a provider's or consumer's generation moved) are read again and retried, as Nova's report client does.
public struct RemotePlacement: PlacementClient {
    let session: ServiceSession
    static let retries = 4

    public init(session: ServiceSession) { self.session = session }

    func call(_ method: HTTPMethod, _ path: String, version: String = "1.39", json: JSON? = nil) async throws
        -> ServiceResponse
    {
        try await session.send(
            "placement", method, path, headers: [("OpenStack-API-Version", "placement \(version)")], json: json)
    }

    /// A call that must succeed (any 2xx); 409 comes back as a conflict the caller may retry.
    @discardableResult
    func expect(_ method: HTTPMethod, _ path: String, version: String = "1.39", json: JSON? = nil) async throws
        -> JSON?
    {
        let response = try await call(method, path, version: version, json: json)
        if response.status == 409 { throw NovaError.conflict(response.errorMessage) }
        guard response.isSuccess else {
            throw NovaError(
                response.status == 404 ? .notFound : .serviceUnavailable,
                "Placement: \(method) \(path): \(response.errorMessage)")
        }
        return response.json
    }

    /// Runs `body` again while it ends in a generation conflict.
    func retryingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        for _ in 1..<Self.retries {
            do { return try await body() } catch let error as NovaError where error.code == .conflict { continue }
        }
        return try await body()
    }

    // MARK: candidates

    public func allocationCandidates(_ query: CandidateQuery) async throws -> CandidateResult {
        guard let json = try await expect(.GET, "/allocation_candidates?" + Self.queryString(query)) else {
            return CandidateResult(requests: [], summaries: [])
        }
        var summaries: [ResourceProvider] = []
        var shares: Set<String> = []
        for (uuid, summary) in json["provider_summaries"]?.objectValue?.entries ?? [] {
            var provider = ResourceProvider(
                uuid: uuid, name: uuid, parentUUID: summary["parent_provider_uuid"]?.stringValue,
                rootUUID: summary["root_provider_uuid"]?.stringValue ?? uuid)
            for (name, resource) in summary["resources"]?.objectValue?.entries ?? [] {
                provider.inventories[name] = Inventory(total: resource["capacity"]?.intValue ?? 0)
                provider.usages[name] = resource["used"]?.intValue ?? 0
            }
            provider.traits = Set(summary["traits"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            if provider.traits.contains("MISC_SHARES_VIA_AGGREGATE") { shares.insert(uuid) }
            summaries.append(provider)
        }
        let roots = Dictionary(summaries.map { ($0.uuid, $0.rootUUID) }, uniquingKeysWith: { first, _ in first })
        let requests = (json["allocation_requests"]?.arrayValue ?? []).map { entry in
            var request = AllocationRequest(
                allocations: Self.allocations(entry["allocations"]),
                mappings: (entry["mappings"]?.objectValue?.entries ?? []).reduce(into: [:]) {
                    $0[$1.0] = $1.1.arrayValue?.compactMap(\.stringValue) ?? []
                })
            let own = request.allocations.keys.sorted().first { !shares.contains($0) }
            request.rootUUID = own.flatMap { roots[$0] } ?? own ?? ""
            return request
        }
        return CandidateResult(requests: requests, summaries: summaries)
    }

    /// Our Placement's explanation route; another Placement has none, and then nothing is explained.
    public func explainRejections(_ query: CandidateQuery) async throws -> [String: String] {
        let response = try await call(.GET, "/allocation_candidates/rejections?" + Self.queryString(query))
        guard response.isSuccess, let object = response.json?["rejections"]?.objectValue else { return [:] }
        return object.entries.reduce(into: [:]) { $0[$1.0] = $1.1.stringValue }
    }

    /// GET /allocation_candidates parameters (1.39) for a query, the inverse of the API's parser.
    static func queryString(_ query: CandidateQuery) -> String {
        var pairs: [(String, String)] = []
        for group in query.groups {
            if !group.resources.isEmpty {
                pairs.append(
                    (
                        "resources" + group.suffix,
                        group.resources.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(
                            separator: ",")
                    ))
            }
            pairs += traitValues(group.traits).map { ("required" + group.suffix, $0) }
            for names in group.memberOf.anyOf { pairs.append(("member_of" + group.suffix, "in:" + list(names))) }
            if !group.memberOf.forbidden.isEmpty {
                pairs.append(("member_of" + group.suffix, "!in:" + list(group.memberOf.forbidden)))
            }
            if let tree = group.inTree { pairs.append(("in_tree" + group.suffix, tree)) }
        }
        if query.groups.contains(where: { !$0.isUnsuffixed }) {
            pairs.append(("group_policy", query.groupPolicy.rawValue))
        }
        if let limit = query.limit { pairs.append(("limit", String(limit))) }
        pairs += traitValues(query.rootRequired).map { ("root_required", $0) }
        for names in query.sameSubtree { pairs.append(("same_subtree", names.joined(separator: ","))) }
        return pairs.map { "\($0.0)=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
    }

    static func traitValues(_ rule: TraitRule) -> [String] {
        var values: [String] = []
        let plain = rule.required.sorted() + rule.forbidden.sorted().map { "!" + $0 }
        if !plain.isEmpty { values.append(plain.joined(separator: ",")) }
        for names in rule.anyOf { values.append("in:" + list(names)) }
        return values
    }

    static func list(_ names: Set<String>) -> String { names.sorted().joined(separator: ",") }

    /// `{rp: {"resources": {class: amount}}}` as provider -> class -> amount.
    static func allocations(_ json: JSON?) -> [String: [String: Int]] {
        (json?.objectValue?.entries ?? []).reduce(into: [:]) { result, entry in
            result[entry.0] = (entry.1["resources"]?.objectValue?.entries ?? []).reduce(into: [:]) {
                $0[$1.0] = $1.1.intValue
            }
        }
    }

    static func allocationsJSON(_ allocations: [String: [String: Int]]) -> JSON {
        .object(
            JSONObject(
                allocations.sorted { $0.key < $1.key }.map { uuid, resources in
                    (
                        uuid,
                        [
                            "resources": .object(
                                JSONObject(resources.sorted { $0.key < $1.key }.map { ($0.key, JSON.int($0.value)) }))
                        ]
                    )
                }))
    }

    // MARK: allocations

    public func claim(_ writes: [AllocationWrite]) async throws -> Bool {
        let typed = writes.contains { $0.consumerType != nil }
        let body = JSONObject(
            writes.map { write in
                var entry: JSONObject = [
                    "allocations": Self.allocationsJSON(write.allocations), "project_id": .string(write.projectID),
                    "user_id": .string(write.userID), "consumer_generation": .optional(write.consumerGeneration),
                ]
                if typed { entry.append("consumer_type", .string(write.consumerType ?? "INSTANCE")) }
                return (write.consumerUUID, .object(entry))
            })
        let response = try await call(.POST, "/allocations", version: typed ? "1.38" : "1.28", json: .object(body))
        if response.status == 409 { return false }
        guard response.isSuccess else {
            throw NovaError(
                response.status == 400 ? .badRequest : .serviceUnavailable, "Placement: \(response.errorMessage)")
        }
        return true
    }

    public func deleteAllocations(consumer: String) async throws {
        let response = try await call(.DELETE, "/allocations/\(consumer)")
        guard response.isSuccess || response.status == 404 else {
            throw NovaError.serviceUnavailable("Placement: DELETE /allocations/\(consumer): \(response.errorMessage)")
        }
    }

    public func allocations(consumer: String) async throws -> [String: [String: Int]] {
        Self.allocations(try await expect(.GET, "/allocations/\(consumer)")?["allocations"])
    }

    public func moveAllocations(from source: String, to target: String, targetType: String) async throws {
        try await retryingConflicts {
            guard let held = try await expect(.GET, "/allocations/\(source)") else { return }
            let allocations = Self.allocations(held["allocations"])
            guard !allocations.isEmpty else { return }
            let current = try await expect(.GET, "/allocations/\(target)")
            let project = held["project_id"] ?? .null
            let user = held["user_id"] ?? .null
            let body: JSON = [
                target: [
                    "allocations": Self.allocationsJSON(allocations), "project_id": project, "user_id": user,
                    "consumer_generation": current?["consumer_generation"] ?? .null,
                    "consumer_type": .string(targetType),
                ],
                source: [
                    "allocations": [:], "project_id": project, "user_id": user,
                    "consumer_generation": held["consumer_generation"] ?? .null,
                    "consumer_type": held["consumer_type"] ?? "INSTANCE",
                ],
            ]
            try await expect(.POST, "/allocations", version: "1.38", json: body)
        }
    }

    // MARK: providers

    /// The provider's current record, nil when there is none.
    func provider(_ uuid: String) async throws -> JSON? {
        let response = try await call(.GET, "/resource_providers/\(uuid)")
        if response.status == 404 { return nil }
        guard response.isSuccess else {
            throw NovaError.serviceUnavailable("Placement: GET /resource_providers/\(uuid): \(response.errorMessage)")
        }
        return response.json
    }

    func provider(named name: String) async throws -> JSON? {
        try await expect(.GET, "/resource_providers?name=\(PercentEncoding.encode(name))")?["resource_providers"]?
            .arrayValue?.first
    }

    public func reportProvider(_ report: ProviderReport) async throws {
        try await retryingConflicts {
            if try await provider(report.uuid) == nil {
                if let other = try await provider(named: report.name), let uuid = other["uuid"]?.stringValue {
                    let usages = try await expect(.GET, "/resource_providers/\(uuid)/usages")
                    if (usages?["usages"]?.objectValue?.entries ?? []).allSatisfy({ $0.1.intValue == 0 }) {
                        try await expect(.DELETE, "/resource_providers/\(uuid)")
                    }
                }
                try await expect(
                    .POST, "/resource_providers", json: ["uuid": .string(report.uuid), "name": .string(report.name)])
            }
            guard let record = try await provider(report.uuid) else {
                throw NovaError.conflict("provider \(report.uuid) went away")
            }
            if record["name"]?.stringValue != report.name {
                try await expect(
                    .PUT, "/resource_providers/\(report.uuid)",
                    json: [
                        "name": .string(report.name), "parent_provider_uuid": record["parent_provider_uuid"] ?? .null,
                    ])
            }
            try await putInventories(report)
            try await putTraits(report.uuid) { current in
                current.filter { !$0.hasPrefix("COMPUTE_") }.union(report.traits)
            }
        }
    }

    func putInventories(_ report: ProviderReport) async throws {
        guard let current = try await expect(.GET, "/resource_providers/\(report.uuid)/inventories") else { return }
        let wanted = JSONObject(
            report.inventories.sorted { $0.key < $1.key }.map { name, inventory in
                (
                    name,
                    [
                        "total": .int(inventory.total), "reserved": .int(inventory.reserved),
                        "min_unit": .int(inventory.minUnit), "max_unit": .int(inventory.maxUnit),
                        "step_size": .int(inventory.stepSize), "allocation_ratio": .double(inventory.allocationRatio),
                    ]
                )
            })
        let have = current["inventories"]?.objectValue ?? JSONObject()
        let same =
            have.keys.sorted() == wanted.keys.sorted()
            && wanted.entries.allSatisfy { name, inventory in
                ["total", "reserved", "min_unit", "max_unit", "step_size"].allSatisfy {
                    have[name]?[$0]?.intValue == inventory[$0]?.intValue
                } && Self.double(have[name]?["allocation_ratio"]) == Self.double(inventory["allocation_ratio"])
            }
        guard !same else { return }
        try await expect(
            .PUT, "/resource_providers/\(report.uuid)/inventories",
            json: [
                "resource_provider_generation": current["resource_provider_generation"] ?? 0,
                "inventories": .object(wanted),
            ])
    }

    static func double(_ json: JSON?) -> Double? {
        switch json {
        case .double(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }

    /// Reads a provider's traits, and writes `change(traits)` when it differs.
    func putTraits(_ uuid: String, _ change: (Set<String>) -> Set<String>) async throws {
        guard let current = try await expect(.GET, "/resource_providers/\(uuid)/traits") else { return }
        let traits = Set(current["traits"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let wanted = change(traits)
        guard wanted != traits else { return }
        for trait in wanted.subtracting(traits) where trait.hasPrefix("CUSTOM_") {
            try await expect(.PUT, "/traits/\(trait)")
        }
        try await expect(
            .PUT, "/resource_providers/\(uuid)/traits",
            json: [
                "resource_provider_generation": current["resource_provider_generation"] ?? 0,
                "traits": .array(wanted.sorted().map(JSON.string)),
            ])
    }

    public func setTrait(_ trait: String, present: Bool, providerNamed name: String) async throws {
        try await retryingConflicts {
            guard let uuid = try await provider(named: name)?["uuid"]?.stringValue else { return }
            try await putTraits(uuid) { traits in
                var changed = traits
                if present { changed.insert(trait) } else { changed.remove(trait) }
                return changed
            }
        }
    }

    public func setAggregate(_ aggregateUUID: String, member: Bool, providerNamed name: String) async throws {
        try await retryingConflicts {
            guard let uuid = try await provider(named: name)?["uuid"]?.stringValue,
                let current = try await expect(.GET, "/resource_providers/\(uuid)/aggregates")
            else { return }
            let aggregates = Set(current["aggregates"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            var wanted = aggregates
            if member { wanted.insert(aggregateUUID) } else { wanted.remove(aggregateUUID) }
            guard wanted != aggregates else { return }
            try await expect(
                .PUT, "/resource_providers/\(uuid)/aggregates",
                json: [
                    "resource_provider_generation": current["resource_provider_generation"] ?? 0,
                    "aggregates": .array(wanted.sorted().map(JSON.string)),
                ])
        }
    }

    public func providerUsages() async throws -> [String: (usages: [String: Int], consumers: Int)] {
        let providers = try await expect(.GET, "/resource_providers")?["resource_providers"]?.arrayValue ?? []
        var result: [String: (usages: [String: Int], consumers: Int)] = [:]
        for uuid in providers.compactMap({ $0["uuid"]?.stringValue }) {
            let usages = try await expect(.GET, "/resource_providers/\(uuid)/usages")?["usages"]?.objectValue
            let held = try await expect(.GET, "/resource_providers/\(uuid)/allocations")?["allocations"]?.objectValue
            result[uuid] = (
                (usages?.entries ?? []).reduce(into: [:]) { $0[$1.0] = $1.1.intValue }, held?.entries.count ?? 0
            )
        }
        return result
    }
}
