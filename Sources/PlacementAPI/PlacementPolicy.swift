import APISupport
import NovaCore

/// Placement's policy rules and their defaults (placement/policies): every call is for project-scoped admins
/// and the `service` role, the total usages of a project also for that project's readers, and the reshaper for
/// services alone. Before the new defaults (`[oslo_policy] enforce_new_defaults = false`) `role:admin` passes
/// each rule too, as the deprecated `admin_api` did.
public enum PlacementPolicy {
    static let deprecatedAdmin = "role:admin"
    static let adminOrService = "rule:admin_or_service_api"

    static let actions = [
        "resource_providers:list", "resource_providers:create", "resource_providers:show",
        "resource_providers:update", "resource_providers:delete", "resource_classes:list",
        "resource_classes:create", "resource_classes:show", "resource_classes:update", "resource_classes:delete",
        "resource_providers:inventories:list", "resource_providers:inventories:create",
        "resource_providers:inventories:show", "resource_providers:inventories:update",
        "resource_providers:inventories:delete", "resource_providers:aggregates:list",
        "resource_providers:aggregates:update", "resource_providers:usages", "traits:list", "traits:show",
        "traits:update", "traits:delete", "resource_providers:traits:list", "resource_providers:traits:update",
        "resource_providers:traits:delete", "allocations:manage", "allocations:list", "allocations:update",
        "allocations:delete", "resource_providers:allocations:list", "allocation_candidates:list",
    ]

    public static var defaults: [PolicyDefault] {
        var rules = [
            PolicyDefault("admin_api", "role:admin", scopeTypes: ["project"]),
            PolicyDefault("service_api", "role:service", deprecated: deprecatedAdmin, scopeTypes: ["project"]),
            PolicyDefault(
                "admin_or_service_api", "role:admin or role:service", deprecated: deprecatedAdmin,
                scopeTypes: ["project"]),
            PolicyDefault(
                "project_reader_api", "role:reader and project_id:%(project_id)s", deprecated: deprecatedAdmin),
            PolicyDefault(
                "admin_or_project_reader_or_service_api", "role:admin or rule:project_reader_api or role:service",
                deprecated: deprecatedAdmin, scopeTypes: ["project"]),
            PolicyDefault("placement:usages", "rule:admin_or_project_reader_or_service_api", scopeTypes: ["project"]),
            PolicyDefault("placement:reshaper:reshape", "rule:service_api", scopeTypes: ["project"]),
        ]
        rules += actions.map { PolicyDefault("placement:" + $0, adminOrService, scopeTypes: ["project"]) }
        return rules
    }
}

extension PlacementAPI {
    /// Placement's 403 when the policy does not let the caller do `action` (on `targetProject`'s usages: a
    /// target with no project when the query names none).
    func authorize(_ context: NovaRequestContext, _ action: String, targetProject: String?? = nil) throws {
        let caller = try context.caller()
        var target = ["user_id": caller.userID]
        target["project_id"] = targetProject ?? caller.projectID
        guard policy.allows("placement:" + action, PolicyRequest(credentials: caller, target: target)) else {
            throw NovaError.forbidden("Policy does not allow placement:\(action) to be performed.")
        }
    }
}
