import APISupport
import Hummingbird
import NovaCore

/// The request bodies Placement takes, as its JSON schemas describe them (placement/schemas), so that a body is
/// refused when and as the genuine service refuses it.
enum PlacementSchemas {
    static let maxInteger = 2_147_483_647
    /// Placement's SQL_SP_FLOAT_MAX, the largest allocation ratio it takes.
    static let maxFloat = 3.40282e38
    static let classPattern = "^[A-Z0-9_]+$"
    static let customPattern = "^CUSTOM_[A-Z0-9_]+$"

    static let uuid = JSONSchema.string(format: JSONSchema.uuidLike)
    static let generation = JSONSchema.integer()

    /// One inventory in a PUT of one class (the generation required) and of all of them (not required there).
    static let inventory = JSONSchema.object(
        [
            "resource_provider_generation": generation,
            "total": .integer(minimum: 1, maximum: maxInteger),
            "reserved": .integer(minimum: 0, maximum: maxInteger),
            "min_unit": .integer(minimum: 1, maximum: maxInteger),
            "max_unit": .integer(minimum: 1, maximum: maxInteger),
            "step_size": .integer(minimum: 1, maximum: maxInteger),
            "allocation_ratio": .number(maximum: maxFloat),
        ], required: ["total", "resource_provider_generation"])
    static let postInventory = inventory.adding("resource_class", .string(pattern: classPattern), required: true)
        .optional("resource_provider_generation")
    static let putInventories = JSONSchema.object(
        [
            "resource_provider_generation": generation,
            "inventories": .object(
                additionalProperties: true,
                patternProperties: [(classPattern, inventory.optional("resource_provider_generation"))]),
        ], required: ["resource_provider_generation", "inventories"])

    static func provider(_ version: APIVersion, creating: Bool) -> JSONSchema {
        var schema = JSONSchema.object(["name": .string(maxLength: 200)], required: ["name"])
        if creating { schema = schema.adding("uuid", uuid) }
        if version.placementAtLeast(14) { schema = schema.adding("parent_provider_uuid", .anyOf([uuid, .null])) }
        return schema
    }

    static let resourceClass = JSONSchema.object(
        ["name": .string(maxLength: 255, pattern: customPattern)], required: ["name"])

    static let providerTraits = JSONSchema.object(
        ["traits": .array(.string(minLength: 1, maxLength: 255)), "resource_provider_generation": generation],
        required: ["traits", "resource_provider_generation"])

    static let aggregateList = JSONSchema.array(uuid, uniqueItems: true)
    static func aggregates(_ version: APIVersion) -> JSONSchema {
        guard version.placementAtLeast(19) else { return aggregateList }
        return .object(
            ["aggregates": aggregateList, "resource_provider_generation": generation],
            required: ["aggregates", "resource_provider_generation"])
    }
}

/// Allocations: the list form before 1.12, then an object by provider; the owner from 1.8, the consumer's
/// generation from 1.28, mappings from 1.34, the consumer type from 1.38.
extension PlacementSchemas {
    static let uuidPattern = "^[0-9a-fA-F-]{36}$"
    static let amounts = JSONSchema.object(
        patternProperties: [(classPattern, .integer(minimum: 1))], minProperties: 1)
    static let ownerID = JSONSchema.string(minLength: 1, maxLength: 255)
    static var consumerGeneration: JSONSchema {
        var schema = JSONSchema.integer()
        schema.types = ["integer", "null"]
        return schema
    }
    static let mappings = JSONSchema.object(
        additionalProperties: true,
        patternProperties: [("[a-zA-Z0-9_-]{1,64}", .array(uuid, minItems: 1))], minProperties: 1)

    static func byProvider(minProperties: Int) -> JSONSchema {
        .object(
            patternProperties: [
                (uuidPattern, .object(["generation": .integer(), "resources": amounts], required: ["resources"]))
            ], minProperties: minProperties)
    }

    /// One consumer's allocations as PUT /allocations/{consumer} (`forPost`: as one member of POST /allocations).
    static func consumer(_ version: APIVersion, forPost: Bool = false) -> JSONSchema {
        guard version.placementAtLeast(12) else {
            let provider = JSONSchema.object(["uuid": uuid], required: ["uuid"])
            var schema = JSONSchema.object(
                [
                    "allocations": .array(
                        .object(
                            ["resource_provider": provider, "resources": amounts],
                            required: ["resource_provider", "resources"]),
                        minItems: 1)
                ], required: ["allocations"])
            if version.placementAtLeast(8) {
                schema = schema.adding("project_id", ownerID, required: true).adding("user_id", ownerID, required: true)
            }
            return schema
        }
        let deletable = forPost || version.placementAtLeast(28)
        var schema = JSONSchema.object(
            ["allocations": byProvider(minProperties: deletable ? 0 : 1), "project_id": ownerID, "user_id": ownerID],
            required: ["allocations", "project_id", "user_id"])
        if version.placementAtLeast(28) {
            schema = schema.adding("consumer_generation", consumerGeneration, required: true)
        }
        if version.placementAtLeast(34) { schema = schema.adding("mappings", mappings) }
        if version.placementAtLeast(38) {
            schema = schema.adding(
                "consumer_type", .string(minLength: 1, maxLength: 255, pattern: classPattern), required: true)
        }
        return schema
    }

    static func consumers(_ version: APIVersion, minProperties: Int = 1) -> JSONSchema {
        .object(patternProperties: [(uuidPattern, consumer(version, forPost: true))], minProperties: minProperties)
    }

    /// POST /reshaper: at least one provider's inventories and the consumers' allocations (consumer
    /// generations required as from 1.28; mappings from 1.34, types from 1.38).
    static func reshaper(_ version: APIVersion) -> JSONSchema {
        let allocations = version.placementAtLeast(34) ? version : APIVersion(1, 28)
        return .object(
            [
                "inventories": .object(patternProperties: [(uuidPattern, putInventories)], minProperties: 1),
                "allocations": consumers(allocations, minProperties: 0),
            ], required: ["inventories", "allocations"])
    }
}

extension PlacementAPI {
    /// The body as JSON that `schema` validates, else Placement's 400 ("Malformed JSON", "JSON does not
    /// validate: ..." with jsonschema's explanation).
    func body(_ request: Request, _ context: NovaRequestContext, _ schema: JSONSchema) async throws -> JSON {
        try Self.requireJSONContent(request)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let json = JSON.parse(buffer.readableBytesView) else {
            throw NovaError.badRequest("Malformed JSON: the body is not a JSON document")
        }
        if let violation = schema.violation(of: json) {
            throw NovaError.badRequest("JSON does not validate: \(violation.description)")
        }
        return json
    }
}

/// The query strings Placement validates, by microversion (a query's values are strings; a repeated key counts
/// once, with its last value, as Placement reads `dict(req.GET)`).
extension PlacementSchemas {
    static let text = JSONSchema.string()
    /// The `uuid` format of a query: jsonschema's own, with dashes.
    static let queryUUID = JSONSchema.string(format: "uuid")

    static func candidatesQuery(_ version: APIVersion) -> JSONSchema {
        guard version.placementAtLeast(25) else {
            var schema = JSONSchema.object(["resources": text], required: ["resources"])
            if version.placementAtLeast(16) {
                var limit = JSONSchema.string(minLength: 1, pattern: "^[1-9][0-9]*$")
                limit.types = ["integer", "string"]
                limit.minimum = 1
                schema = schema.adding("limit", limit)
            }
            if version.placementAtLeast(17) { schema = schema.adding("required", text) }
            if version.placementAtLeast(21) { schema = schema.adding("member_of", text) }
            return schema
        }
        let suffix = version.placementAtLeast(33) ? "([a-zA-Z0-9_-]{1,64})?" : "([1-9][0-9]*)?"
        var kinds = ["resources", "required", "member_of"]
        if version.placementAtLeast(31) { kinds.append("in_tree") }
        var limit = JSONSchema.string(minLength: 1, pattern: "^[1-9][0-9]*$")
        limit.types = ["integer", "string"]
        limit.minimum = 1
        var schema = JSONSchema.object(
            ["limit": limit, "group_policy": .string(enum: ["none", "isolate"])],
            patternProperties: kinds.map { ("^\($0)\(suffix)$", text) })
        if version.placementAtLeast(35) { schema = schema.adding("root_required", text) }
        if version.placementAtLeast(36) { schema = schema.adding("same_subtree", text) }
        return schema
    }

    static func providersQuery(_ version: APIVersion) -> JSONSchema {
        var schema = JSONSchema.object(["name": text, "uuid": queryUUID])
        if version.placementAtLeast(3) { schema = schema.adding("member_of", text) }
        if version.placementAtLeast(4) { schema = schema.adding("resources", text) }
        if version.placementAtLeast(14) { schema = schema.adding("in_tree", queryUUID) }
        if version.placementAtLeast(18) { schema = schema.adding("required", text) }
        return schema
    }

    static func usagesQuery(_ version: APIVersion) -> JSONSchema {
        let owner = JSONSchema.string(minLength: 1, maxLength: 255)
        var schema = JSONSchema.object(["project_id": owner, "user_id": owner], required: ["project_id"])
        if version.placementAtLeast(38) {
            schema = schema.adding(
                "consumer_type", .string(minLength: 1, maxLength: 255, pattern: "^[A-Z0-9_]+$|^all|^unknown$"))
        }
        return schema
    }

    static let traitsQuery = JSONSchema.object(["name": text, "associated": text])
}

extension PlacementAPI {
    /// Placement's 400 unless the query string is what `schema` allows.
    func validateQuery(_ request: Request, _ schema: JSONSchema) throws {
        var object = JSONObject()
        for (key, value) in request.query.pairs {
            object[key] = .string(value)
        }
        if let violation = schema.violation(of: .object(object)) {
            throw NovaError.badRequest("Invalid query string parameters: \(violation.description)")
        }
    }
}

extension APIVersion {
    func placementAtLeast(_ minor: Int) -> Bool { self >= APIVersion(1, minor) }
}

/// A schema for each Placement microversion, built once: compiling a schema's patterns costs more than
/// checking a small body against them.
struct VersionedSchemas: Sendable {
    let byMinor: [JSONSchema]

    init(_ build: (APIVersion) -> JSONSchema) {
        byMinor = (0...APIVersion.placementMaximum.minor).map { build(APIVersion(1, $0)) }
    }

    subscript(_ context: NovaRequestContext) -> JSONSchema {
        byMinor[min(max(context.placementVersion.minor, 0), byMinor.count - 1)]
    }
}

/// The schemas as the handlers ask for them: by the request's microversion.
extension PlacementSchemas {
    static let creatingProviders = VersionedSchemas { provider($0, creating: true) }
    static let updatingProviders = VersionedSchemas { provider($0, creating: false) }
    static let aggregatesByVersion = VersionedSchemas { aggregates($0) }
    static let consumerByVersion = VersionedSchemas { consumer($0) }
    static let consumersByVersion = VersionedSchemas { consumers($0) }
    static let reshaperByVersion = VersionedSchemas { reshaper($0) }
    static let candidatesQueries = VersionedSchemas { candidatesQuery($0) }
    static let providersQueries = VersionedSchemas { providersQuery($0) }
    static let usagesQueries = VersionedSchemas { usagesQuery($0) }

    static func provider(_ context: NovaRequestContext, creating: Bool) -> JSONSchema {
        (creating ? creatingProviders : updatingProviders)[context]
    }
    static func aggregates(_ context: NovaRequestContext) -> JSONSchema { aggregatesByVersion[context] }
    static func consumer(_ context: NovaRequestContext) -> JSONSchema { consumerByVersion[context] }
    static func consumers(_ context: NovaRequestContext) -> JSONSchema { consumersByVersion[context] }
    static func reshaper(_ context: NovaRequestContext) -> JSONSchema { reshaperByVersion[context] }
    static func candidatesQuery(_ context: NovaRequestContext) -> JSONSchema { candidatesQueries[context] }
    static func providersQuery(_ context: NovaRequestContext) -> JSONSchema { providersQueries[context] }
    static func usagesQuery(_ context: NovaRequestContext) -> JSONSchema { usagesQueries[context] }
}
