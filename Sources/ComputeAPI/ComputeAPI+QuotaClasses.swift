import APISupport
import Foundation
import Hummingbird
import NovaCore

/// os-quota-class-sets (nova/api/openstack/compute/quota_classes.py): a quota class's limits, stored; the
/// `default` class is what every project without a limit of its own gets (os-quota-sets' defaults too).
extension ComputeAPI {
    /// The nova-network quotas the class API still shows below 2.50, with Nova's defaults.
    static let legacyClassQuotas = [
        "fixed_ips": -1, "floating_ips": 10, "security_group_rules": 20, "security_groups": 10,
    ]

    func registerQuotaClasses(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-quota-class-sets/{id}") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-quota-class-sets:show", try context.caller())
            let name = context.parameter("id")
            var json: JSONObject = ["id": .string(name)]
            for (key, value) in try await quotaClassView(name, context.apiVersion).entries { json[key] = value }
            return Response.json(["quota_class_set": .object(json)])
        }
        v21.put("os-quota-class-sets/{id}") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-quota-class-sets:update", try context.caller())
            let name = context.parameter("id")
            guard (1...255).contains(name.count) else { throw NovaError.badRequest("Invalid quota class name") }
            let body = try await request.jsonBody(context: context)
            guard let spec = body["quota_class_set"]?.objectValue else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute quota_class_set. 'quota_class_set' is a required property")
            }
            let known = Set(try await quotaClassView(name, context.apiVersion, forAnswer: false).keys)
            var changes: [String: Int] = [:]
            for (key, value) in spec.entries {
                guard known.contains(key) else {
                    throw NovaError.badRequest(
                        "Invalid input for field/attribute quota_class_set. Additional properties are not allowed ('\(key)' was unexpected)"
                    )
                }
                changes[key] = try CheckedInput.requiredInteger(
                    value, field: key, in: -1...CheckedInput.maxDatabaseInteger, allowString: true)
            }
            try await store.setQuotaClass(name, changes)
            return Response.json(["quota_class_set": .object(try await quotaClassView(name, context.apiVersion))])
        }
    }

    /// A class's limits as the microversion shows them: the nova-network ones below 2.50, the personality
    /// files' below 2.57. Below 2.50 Nova's answers leave out the server group quotas, which an update still
    /// takes (its bug 1693168, fixed by 2.50).
    func quotaClassView(_ name: String, _ version: APIVersion, forAnswer: Bool = true) async throws -> JSONObject {
        let limits = try await store.quotaClassLimits(name)
        var json = JSONObject()
        for resource in QuotaResource.visible(at: version) {
            if forAnswer, version < APIVersion(2, 50), [.serverGroups, .serverGroupMembers].contains(resource) {
                continue
            }
            json[resource.rawValue] = .int(limits.limit(resource))
        }
        if version < APIVersion(2, 50) {
            for (key, value) in Self.legacyClassQuotas.sorted(by: { $0.key < $1.key }) {
                json[key] = .int(limits.overrides[key] ?? value)
            }
        }
        return json
    }
}
