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

    static let uuid = JSONSchema.string(format: "uuid")
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

    static func provider(_ context: NovaRequestContext, creating: Bool) -> JSONSchema {
        var schema = JSONSchema.object(["name": .string(maxLength: 200)], required: ["name"])
        if creating { schema = schema.adding("uuid", uuid) }
        if context.placementAtLeast(14) { schema = schema.adding("parent_provider_uuid", .anyOf([uuid, .null])) }
        return schema
    }

    static let resourceClass = JSONSchema.object(
        ["name": .string(maxLength: 255, pattern: customPattern)], required: ["name"])

    static let providerTraits = JSONSchema.object(
        ["traits": .array(.string(minLength: 1, maxLength: 255)), "resource_provider_generation": generation],
        required: ["traits", "resource_provider_generation"])

    static let aggregateList = JSONSchema.array(uuid, uniqueItems: true)
    static func aggregates(_ context: NovaRequestContext) -> JSONSchema {
        guard context.placementAtLeast(19) else { return aggregateList }
        return .object(
            ["aggregates": aggregateList, "resource_provider_generation": generation],
            required: ["aggregates", "resource_provider_generation"])
    }
}

extension PlacementAPI {
    /// The body as JSON that `schema` validates, else Placement's 400 ("Malformed JSON", "JSON does not
    /// validate: ..." with jsonschema's explanation).
    func body(_ request: Request, _ context: NovaRequestContext, _ schema: JSONSchema) async throws -> JSON {
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
