import NovaCore
import Testing

/// Access rule paths as keystonemiddleware matches them: `*` and `{name}` one segment, `**` anything.
@Suite struct AccessRuleTests {
    let rule = AccessRule(service: "compute", path: "/v2.1/servers/*", method: "GET")

    @Test func oneSegmentWildcards() {
        #expect(rule.allows(service: "compute", method: "GET", path: "/v2.1/servers/abc"))
        #expect(!rule.allows(service: "compute", method: "GET", path: "/v2.1/servers/abc/action"))
        #expect(!rule.allows(service: "compute", method: "GET", path: "/v2.1/servers/"))
        #expect(!rule.allows(service: "compute", method: "DELETE", path: "/v2.1/servers/abc"))
        #expect(!rule.allows(service: "image", method: "GET", path: "/v2.1/servers/abc"))
        #expect(rule.allows(service: "compute", method: "get", path: "/v2.1/servers/abc"))
        let named = AccessRule(service: "compute", path: "/v2.1/servers/{server_id}/ips", method: "GET")
        #expect(named.allows(service: "compute", method: "GET", path: "/v2.1/servers/x1/ips"))
        #expect(!named.allows(service: "compute", method: "GET", path: "/v2.1/servers/x1/y/ips"))
    }

    @Test func recursiveWildcardsAndLiterals() {
        let any = AccessRule(service: "image", path: "/v2/**", method: "GET")
        #expect(any.allows(service: "image", method: "GET", path: "/v2/images/a/file"))
        #expect(any.allows(service: "image", method: "GET", path: "/v2/"))
        #expect(!any.allows(service: "image", method: "GET", path: "/v1/images"))
        let exact = AccessRule(service: "compute", path: "/v2.1/servers", method: "POST")
        #expect(exact.allows(service: "compute", method: "POST", path: "/v2.1/servers"))
        #expect(!exact.allows(service: "compute", method: "POST", path: "/v2.1/servers/detail"))
        #expect(!exact.allows(service: "compute", method: "POST", path: "/v2.1/serverz"))
    }

    @Test func aPatternOfWildcardsStaysLinear() {
        let pattern = String(repeating: "**a", count: 70)
        let path = "/" + String(repeating: "a", count: 20_000) + "b"
        #expect(!AccessRule(service: "s", path: pattern, method: "GET").allows(service: "s", method: "GET", path: path))
    }
}
