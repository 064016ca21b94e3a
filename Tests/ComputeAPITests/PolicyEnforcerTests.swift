import APISupport
import Foundation
import NovaCore
import Testing

@Suite struct PolicyEnforcerTests {
    let defaults = [
        PolicyDefault(
            "admin_or_service", "role:admin or role:service", deprecated: "role:admin", scopeTypes: ["project"]),
        PolicyDefault("reader", "role:reader and project_id:%(project_id)s", scopeTypes: ["project"]),
        PolicyDefault("service_only", "role:service", deprecated: "role:admin", scopeTypes: ["project"]),
        PolicyDefault("usages", "rule:admin_or_service or rule:reader", scopeTypes: ["project"]),
    ]

    func caller(_ roles: [String], project: String = "p1", system: String? = nil) -> PolicyRequest {
        PolicyRequest(
            credentials: Credentials(
                userID: "u", userName: "u", projectID: project, projectName: project, roles: roles, systemScope: system),
            target: ["project_id": "p1"])
    }

    @Test func theLanguageParses() {
        #expect(PolicyCheck(parsing: "@") == .always)
        #expect(PolicyCheck(parsing: "!") == .never)
        #expect(
            PolicyCheck(parsing: "role:Admin or (rule:x and not project_id:%(project_id)s)")
                == .or([
                    .role("admin"), .and([.rule("x"), .not(.generic(kind: "project_id", match: "%(project_id)s"))]),
                ]))
        #expect(PolicyCheck(parsing: "role:admin or") == .never)
        #expect(PolicyCheck(parsing: "(role:admin") == .never)
    }

    @Test func newDefaultsDropTheDeprecatedCheck() throws {
        let new = try PolicyEnforcer(defaults: defaults, options: PolicyOptions())
        let legacy = try PolicyEnforcer(defaults: defaults, options: PolicyOptions(enforceNewDefaults: false))
        #expect(!new.allows("service_only", caller(["admin"])))
        #expect(legacy.allows("service_only", caller(["admin"])))
        #expect(new.allows("service_only", caller(["service"])))
    }

    @Test func targetsAndRulesCompose() throws {
        let enforcer = try PolicyEnforcer(defaults: defaults, options: PolicyOptions())
        #expect(enforcer.allows("usages", caller(["reader"])))
        #expect(!enforcer.allows("usages", caller(["reader"], project: "p2")))
        #expect(!enforcer.allows("usages", caller(["member"])))
        #expect(!enforcer.allows("unknown", caller(["admin"])))
    }

    @Test func aSystemScopedTokenIsRefusedWhereRulesAreForProjects() throws {
        let scoped = try PolicyEnforcer(defaults: defaults, options: PolicyOptions())
        let unscoped = try PolicyEnforcer(defaults: defaults, options: PolicyOptions(enforceScope: false))
        #expect(!scoped.allows("admin_or_service", caller(["admin"], system: "all")))
        #expect(unscoped.allows("admin_or_service", caller(["admin"], system: "all")))
    }

    @Test func aPolicyFileReplacesDefaults() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "# open\nservice_only: '@'\n\"reader\": \"!\"  # closed\nplacement:x:y: role:member\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let enforcer = try PolicyEnforcer(defaults: defaults, options: PolicyOptions(policyFile: path))
        #expect(enforcer.allows("service_only", caller([])))
        #expect(!enforcer.allows("reader", caller(["reader"])))
        #expect(enforcer.allows("placement:x:y", caller(["member"])))
        try "{\"reader\": \"@\"}".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(
            try PolicyEnforcer(defaults: defaults, options: PolicyOptions(policyFile: path)).allows(
                "reader", caller([])))
        try "reader @\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) {
            try PolicyEnforcer(defaults: defaults, options: PolicyOptions(policyFile: path))
        }
    }
}
