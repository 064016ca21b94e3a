import NovaCore
import Testing

@Suite struct PolicyTests {
    let admin = Credentials(
        userID: "a", userName: "admin", projectID: "p-admin", projectName: "admin", roles: ["admin"])
    let member = Credentials(
        userID: "m", userName: "demo", projectID: "p-demo", projectName: "demo", roles: ["member", "reader"])
    let reader = Credentials(userID: "r", userName: "r", projectID: "p-demo", projectName: "demo", roles: ["reader"])
    let manager = Credentials(userID: "g", userName: "g", projectID: "p-demo", projectName: "demo", roles: ["manager"])

    @Test func adminMayDoAnything() {
        for rule in [
            PolicyRule.admin, .projectMemberOrAdmin, .projectManagerOrAdmin, .projectReaderOrAdmin, .serviceOrAdmin,
        ] {
            #expect(rule.allows(admin, targetProject: "p-demo"))
        }
    }

    @Test func aMemberActsOnItsOwnProjectOnly() {
        #expect(PolicyRule.projectMemberOrAdmin.allows(member, targetProject: "p-demo"))
        #expect(!PolicyRule.projectMemberOrAdmin.allows(member, targetProject: "p-admin"))
        #expect(!PolicyRule.admin.allows(member))
        #expect(!PolicyRule.projectManagerOrAdmin.allows(member, targetProject: "p-demo"))
    }

    @Test func aReaderReadsButDoesNotWrite() {
        #expect(PolicyRule.projectReaderOrAdmin.allows(reader, targetProject: "p-demo"))
        #expect(!PolicyRule.projectMemberOrAdmin.allows(reader, targetProject: "p-demo"))
    }

    @Test func aManagerIsAlsoAMember() {
        #expect(PolicyRule.projectManagerOrAdmin.allows(manager, targetProject: "p-demo"))
        #expect(PolicyRule.projectMemberOrAdmin.allows(manager, targetProject: "p-demo"))
    }

    @Test func refusalIsA403InNovaWords() {
        do {
            try PolicyRule.admin.enforce("os_compute_api:os-services:list", member)
            Issue.record("member was allowed")
        } catch {
            #expect(error.code == .forbidden)
            #expect(error.message == "Policy doesn't allow os_compute_api:os-services:list to be performed.")
        }
    }
}

@Suite struct QuotaTests {
    @Test func withinTheLimitPasses() throws {
        try QuotaLimits().check(
            usage: Resources(vcpus: 19, memoryMB: 0, diskGB: 0), instances: 9, adding: Flavor.defaults[0].resources,
            count: 1)
    }

    @Test func overTheLimitNamesTheResources() {
        do {
            try QuotaLimits(overrides: ["instances": 2]).check(
                usage: .zero, instances: 2, adding: Flavor.defaults[0].resources, count: 1)
            Issue.record("over quota was accepted")
        } catch {
            #expect(error.code == .forbidden)
            #expect(error.message.hasPrefix("Quota exceeded for instances"))
        }
    }

    @Test func minusOneIsUnlimited() throws {
        try QuotaLimits(overrides: ["cores": -1]).check(
            usage: Resources(vcpus: 10_000, memoryMB: 0, diskGB: 0), instances: 0, adding: Flavor.defaults[4].resources,
            count: 1)
    }
}

@Suite struct JSONTests {
    @Test func parsesAndSerialisesRoundTrip() throws {
        let text = #"{"a": [1, 2.5, true, null, "x\"y\u00e9\n"], "b": {"c": -3}}"#
        let value = try #require(JSON.parse(Array(text.utf8)))
        #expect(value["a"]?.arrayValue?.count == 5)
        #expect(value["a"]?.arrayValue?[4].stringValue == "x\"yé\n")
        #expect(value["b"]?["c"]?.intValue == -3)
        #expect(JSON.parse(Array(value.serialized().utf8)) == value)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"unterminated", "{} x"])
    func rejectsWhatIsNotJSON(text: String) {
        #expect(JSON.parse(Array(text.utf8)) == nil)
    }

    @Test func keepsKeyOrder() {
        let value: JSON = ["z": 1, "a": 2]
        #expect(value.serialized() == #"{"z": 1, "a": 2}"#)
    }
}
