import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Per-user quotas (`?user_id=` on os-quota-sets): a user's own limits within its project, bounded as Nova
/// bounds them, shown with the user's usage, enforced at create beside the project's, and removable.
@Suite struct PerUserQuotaTests {
    static let compute = "/compute/v2.1"

    @Test func aUsersOwnLimitsAreBoundedShownAndEnforced() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let identity = try await client.request(
                .get, "/identity/v3/auth/tokens", token: admin,
                headers: [
                    HTTPField.Name("X-Subject-Token")!: demo
                ])
            let project = try #require(identity.json?["token"]?["project"]?["id"]?.stringValue)
            let user = try #require(identity.json?["token"]?["user"]?["id"]?.stringValue)
            let quotas = Self.compute + "/os-quota-sets/\(project)"
            func put(_ body: JSON, user: String? = nil) async throws -> Reply {
                try await client.request(
                    .put, quotas + (user.map { "?user_id=\($0)" } ?? ""), token: admin, body: ["quota_set": body])
            }
            #expect(try await put(["instances": 5]).status == 200)
            let set = try await put(["instances": 1, "cores": 4], user: user)
            #expect(set.status == 200 && set.json?["quota_set"]?["instances"] == 1, "\(set.text)")
            let over = try await put(["instances": 6], user: user)
            #expect(over.status == 400 && over.text.contains("must be less than or equal to 5"), "\(over.text)")
            // The project's limit must keep room for what its users' own limits add up to.
            let under = try await put(["instances": 0])
            #expect(under.status == 400, "\(under.text)")
            let shown = try await client.request(.get, quotas + "?user_id=\(user)", token: admin)
            #expect(shown.json?["quota_set"]?["instances"] == 1 && shown.json?["quota_set"]?["cores"] == 4)
            #expect(try await client.request(.get, quotas, token: admin).json?["quota_set"]?["instances"] == 5)

            let image = try await client.defaultImage(token: demo)
            let first = try await client.createServer("one", token: demo, image: image)
            try await client.waitFor(first, status: "ACTIVE", token: demo)
            let detail = try await client.request(.get, quotas + "/detail?user_id=\(user)", token: admin)
            #expect(detail.json?["quota_set"]?["instances"]?["in_use"] == 1)
            #expect(detail.json?["quota_set"]?["instances"]?["limit"] == 1)
            // A limit under what the user's servers use is refused, unless forced.
            #expect(try await put(["instances": 0], user: user).status == 400)
            let second = try await client.request(
                .post, Self.compute + "/servers", token: demo,
                body: ["server": ["name": "two", "flavorRef": "1", "imageRef": .string(image)]])
            #expect(second.status == 403 && second.text.contains("Quota exceeded for instances"), "\(second.text)")

            // Without the user's own limits the project's apply again.
            let removed = try await client.request(.delete, quotas + "?user_id=\(user)", token: admin)
            #expect(removed.status == 202)
            #expect(
                try await client.request(.get, quotas + "?user_id=\(user)", token: admin)
                    .json?["quota_set"]?["instances"] == 5)
            let again = try await client.createServer("two", token: demo, image: image)
            try await client.waitFor(again, status: "ACTIVE", token: demo)
        }
    }
}
