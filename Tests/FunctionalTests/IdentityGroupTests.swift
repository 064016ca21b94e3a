import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Groups and the roles they give their members (in tokens and effective assignments), user and project
/// updates, and a user changing its own password.
@Suite struct IdentityGroupTests {
    static let identity = "/identity/v3"

    func token(_ client: CloudClient, user: String, password: String, project: String) async throws -> Reply {
        try await client.request(
            .post, Self.identity + "/auth/tokens",
            body: [
                "auth": [
                    "identity": [
                        "methods": ["password"],
                        "password": [
                            "user": ["name": .string(user), "domain": ["id": "default"], "password": .string(password)]
                        ],
                    ],
                    "scope": ["project": ["name": .string(project), "domain": ["id": "default"]]],
                ]
            ])
    }

    @Test func aGroupsRolesReachItsMembersTokens() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let admin = try await client.adminToken()
            let user = try await client.request(
                .post, Self.identity + "/users", token: admin, body: ["user": ["name": "grouped", "password": "pw-1"]])
            let userID = try #require(user.json?["user"]?["id"]?.stringValue)
            let project = try await client.request(
                .post, Self.identity + "/projects", token: admin, body: ["project": ["name": "team"]])
            let projectID = try #require(project.json?["project"]?["id"]?.stringValue)
            // No role yet: no token for the project.
            #expect(try await token(client, user: "grouped", password: "pw-1", project: "team").status == 401)
            let group = try await client.request(
                .post, Self.identity + "/groups", token: admin, body: ["group": ["name": "developers"]])
            #expect(group.status == 201, "\(group.text)")
            let groupID = try #require(group.json?["group"]?["id"]?.stringValue)
            #expect(
                try await client.request(
                    .post, Self.identity + "/groups", token: admin, body: ["group": ["name": "developers"]]
                ).status == 409)
            #expect(
                try await client.request(.put, Self.identity + "/groups/\(groupID)/users/\(userID)", token: admin)
                    .status == 204)
            #expect(
                try await client.request(.head, Self.identity + "/groups/\(groupID)/users/\(userID)", token: admin)
                    .status == 204)
            let roles = try await client.request(.get, Self.identity + "/roles?name=member", token: admin)
            let memberRole = try #require(roles.json?["roles"]?.arrayValue?.first?["id"]?.stringValue)
            let grant = Self.identity + "/projects/\(projectID)/groups/\(groupID)/roles/\(memberRole)"
            #expect(try await client.request(.put, grant, token: admin).status == 204)
            // The member's token for the project carries the group's role; auth/projects lists it.
            let scoped = try await token(client, user: "grouped", password: "pw-1", project: "team")
            #expect(scoped.status == 201, "\(scoped.text)")
            // member brings reader with it (the bootstrap's implied roles).
            #expect(scoped.json?["token"]?["roles"]?.arrayValue?.map { $0["name"] } == ["member", "reader"])
            let userToken = try #require(scoped.headers[HTTPField.Name("X-Subject-Token")!])
            let mine = try await client.request(.get, Self.identity + "/auth/projects", token: userToken)
            #expect(mine.json?["projects"]?.arrayValue?.map { $0["name"] } == ["team"])
            #expect(
                try await client.request(.get, Self.identity + "/users/\(userID)/groups", token: userToken).json?[
                    "groups"]?.arrayValue?.count == 1)
            // Assignments: the group's as such, or effective as its member's.
            let listed = try await client.request(
                .get, Self.identity + "/role_assignments?scope.project.id=\(projectID)", token: admin)
            #expect(listed.json?["role_assignments"]?.arrayValue?.map { $0["group"]?["id"] } == [.string(groupID)])
            let effective = try await client.request(
                .get, Self.identity + "/role_assignments?scope.project.id=\(projectID)&effective&user.id=\(userID)",
                token: admin)
            #expect(
                effective.json?["role_assignments"]?.arrayValue?.map { $0["user"]?["id"] }
                    == [.string(userID), .string(userID)], "\(effective.text)")
            // A member cannot manage groups; out of the group, no access any more.
            #expect(
                try await client.request(
                    .post, Self.identity + "/groups", token: userToken, body: ["group": ["name": "x"]]
                ).status == 403)
            #expect(
                try await client.request(.delete, Self.identity + "/groups/\(groupID)/users/\(userID)", token: admin)
                    .status == 204)
            #expect(try await token(client, user: "grouped", password: "pw-1", project: "team").status == 401)
            #expect(try await client.request(.delete, Self.identity + "/groups/\(groupID)", token: admin).status == 204)
            #expect(try await client.request(.get, Self.identity + "/groups/\(groupID)", token: admin).status == 404)
        }
    }

    @Test func usersAndProjectsChangeAndPasswordsAreChangedByTheirUsers() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let admin = try await client.adminToken()
            let created = try await client.request(
                .post, Self.identity + "/users", token: admin,
                body: ["user": ["name": "changer", "password": "old-pw"]])
            let userID = try #require(created.json?["user"]?["id"]?.stringValue)
            let project = try await client.request(
                .post, Self.identity + "/projects", token: admin, body: ["project": ["name": "p1"]])
            let projectID = try #require(project.json?["project"]?["id"]?.stringValue)
            let roles = try await client.request(.get, Self.identity + "/roles?name=member", token: admin)
            let memberRole = try #require(roles.json?["roles"]?.arrayValue?.first?["id"]?.stringValue)
            _ = try await client.request(
                .put, Self.identity + "/projects/\(projectID)/users/\(userID)/roles/\(memberRole)", token: admin)
            let first = try await token(client, user: "changer", password: "old-pw", project: "p1")
            let userToken = try #require(first.headers[HTTPField.Name("X-Subject-Token")!])
            // Its own password, with the old one: the old tokens stop working, the new password works.
            let password = Self.identity + "/users/\(userID)/password"
            let wrong = try await client.request(
                .post, password, token: userToken, body: ["user": ["original_password": "nope", "password": "new-pw"]])
            #expect(wrong.status == 401)
            let changed = try await client.request(
                .post, password, token: userToken,
                body: ["user": ["original_password": "old-pw", "password": "new-pw"]])
            #expect(changed.status == 204, "\(changed.text)")
            #expect(try await client.request(.get, "/compute/v2.1/servers", token: userToken).status == 401)
            #expect(try await token(client, user: "changer", password: "old-pw", project: "p1").status == 401)
            let second = try await token(client, user: "changer", password: "new-pw", project: "p1")
            #expect(second.status == 201)
            // Someone else's password is not theirs to change, even an admin's way.
            let adminUser = try await client.request(.get, Self.identity + "/users?name=admin", token: admin)
            let adminID = try #require(adminUser.json?["users"]?.arrayValue?.first?["id"]?.stringValue)
            let secondToken = try #require(second.headers[HTTPField.Name("X-Subject-Token")!])
            #expect(
                try await client.request(
                    .post, Self.identity + "/users/\(adminID)/password", token: secondToken,
                    body: ["user": ["original_password": "x", "password": "y"]]
                ).status == 403)
            // An admin renames and disables the user: its token stops working at once.
            let renamed = try await client.request(
                .patch, Self.identity + "/users/\(userID)", token: admin,
                body: ["user": ["name": "renamed", "email": "r@example.com"]])
            #expect(renamed.json?["user"]?["name"] == "renamed" && renamed.json?["user"]?["email"] == "r@example.com")
            #expect(
                try await client.request(
                    .patch, Self.identity + "/users/\(userID)", token: secondToken, body: ["user": ["enabled": false]]
                ).status == 403)
            #expect(
                try await client.request(
                    .patch, Self.identity + "/users/\(userID)", token: admin, body: ["user": ["enabled": false]]
                ).status == 200)
            #expect(try await client.request(.get, "/compute/v2.1/servers", token: secondToken).status == 401)
            // Projects: renamed, described, disabled.
            let patched = try await client.request(
                .patch, Self.identity + "/projects/\(projectID)", token: admin,
                body: ["project": ["name": "p2", "description": "renamed", "enabled": false]])
            #expect(
                patched.json?["project"]?["name"] == "p2" && patched.json?["project"]?["enabled"] == false,
                "\(patched.text)")
            #expect(
                try await client.request(
                    .patch, Self.identity + "/projects/\(projectID)", token: admin, body: ["project": ["name": "admin"]]
                ).status == 409)
        }
    }
}
