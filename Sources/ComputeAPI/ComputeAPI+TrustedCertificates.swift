import NovaCore

extension ComputeAPI {
    /// `trusted_image_certificates` of a create or rebuild (2.63; Nova's `parameter_types.trusted_certs`):
    /// nil when absent, `.some(nil)` for null, else 1 to 50 distinct non-empty ids. Before 2.63 the field is
    /// unknown to the schema.
    static func trustedCertificates(_ value: JSON?, _ version: APIVersion, _ body: String) throws(NovaError)
        -> [String]??
    {
        guard let value else { return nil }
        let field = "trusted_image_certificates"
        guard version >= APIVersion(2, 63) else {
            throw .badRequest(
                "Invalid input for field/attribute \(body). Additional properties are not allowed ('\(field)' was unexpected)"
            )
        }
        if value.isNull { return .some(nil) }
        let shown = value.serialized().prefix(64)
        guard let items = value.arrayValue else {
            throw .badRequest(
                "Invalid input for field/attribute \(field). Value: \(shown). \(shown) is not of type 'array', 'null'")
        }
        guard !items.isEmpty else {
            throw .badRequest("Invalid input for field/attribute \(field). Value: \(shown). [] should be non-empty")
        }
        guard items.count <= 50 else {
            throw .badRequest("Invalid input for field/attribute \(field). Value: \(shown). It is too long")
        }
        var ids: [String] = []
        for item in items {
            guard let id = item.stringValue, !id.isEmpty else {
                throw .badRequest(
                    "Invalid input for field/attribute \(field). Value: \(item.serialized().prefix(64)). "
                        + "It must be a non-empty string")
            }
            guard !ids.contains(id) else {
                throw .badRequest(
                    "Invalid input for field/attribute \(field). Value: \(shown). \(shown) has non-unique elements")
            }
            ids.append(id)
        }
        return .some(ids)
    }
}
