import NovaCore

/// Placement's error codes (placement/errors.py), carried in `NovaError.Code.name`; the API renders them
/// in Placement's body format.
extension NovaError.Code {
    public static let placementConflict = NovaError.Code(status: 409, name: "placement.concurrent_update")
    public static let providerInUse = NovaError.Code(status: 409, name: "placement.resource_provider.inuse")
    public static let inventoryInUse = NovaError.Code(status: 409, name: "placement.inventory.inuse")
    public static let duplicateName = NovaError.Code(status: 409, name: "placement.duplicate_name")
    public static let providerNotFound = NovaError.Code(status: 404, name: "placement.resource_provider.not_found")
    public static let cannotDeleteParent = NovaError.Code(
        status: 409, name: "placement.resource_provider.cannot_delete_parent")
    public static let duplicateKey = NovaError.Code(status: 400, name: "placement.query.duplicate_key")
    public static let badValue = NovaError.Code(status: 400, name: "placement.query.bad_value")
    public static let missingValue = NovaError.Code(status: 400, name: "placement.query.missing_value")
}

extension NovaError {
    static func generationConflict(_ what: String) -> NovaError {
        NovaError(
            .placementConflict,
            "\(what) Resource provider's generation already changed. Please update the generation and try again.")
    }
}
