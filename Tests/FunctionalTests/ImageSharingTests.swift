import Crypto
import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Glance's sharing (members of shared images, community images), hidden images, interoperable import with
/// glance-direct and its tasks, and the schemas.
@Suite struct ImageSharingTests {
    static let images = "/image/v2/images"

    /// A second project with a member user; returns (its id, the user's token).
    static func otherProject(_ client: CloudClient, admin: String) async throws -> (String, String) {
        let project = try await client.request(
            .post, "/identity/v3/projects", token: admin, body: ["project": ["name": "consumers"]])
        let projectID = try #require(project.json?["project"]?["id"]?.stringValue)
        let user = try await client.request(
            .post, "/identity/v3/users", token: admin, body: ["user": ["name": "consumer", "password": "pw"]])
        let userID = try #require(user.json?["user"]?["id"]?.stringValue)
        let roles = try await client.request(.get, "/identity/v3/roles?name=member", token: admin)
        let member = try #require(roles.json?["roles"]?.arrayValue?.first?["id"]?.stringValue)
        _ = try await client.request(
            .put, "/identity/v3/projects/\(projectID)/users/\(userID)/roles/\(member)", token: admin)
        return (projectID, try await client.token(user: "consumer", password: "pw", project: "consumers"))
    }

    static func names(_ reply: Reply) -> [String] {
        reply.json?["images"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test func aSharedImageReachesTheProjectsThatAcceptIt() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let (otherID, other) = try await Self.otherProject(client, admin: admin)
            let created = try await client.request(
                .post, Self.images, token: demo,
                body: ["name": "team-image", "visibility": "shared", "disk_format": "raw", "container_format": "bare"])
            let id = try #require(created.json?["id"]?.stringValue)
            let privateImage = try await client.request(
                .post, Self.images, token: demo, body: ["name": "mine", "visibility": "private"])
            let privateID = try #require(privateImage.json?["id"]?.stringValue)
            #expect(try await client.request(.get, Self.images + "/\(id)", token: other).status == 404)
            // Only the owner shares, and only shared images.
            #expect(
                try await client.request(
                    .post, Self.images + "/\(privateID)/members", token: demo, body: ["member": .string(otherID)]
                ).status == 403)
            let added = try await client.request(
                .post, Self.images + "/\(id)/members", token: demo, body: ["member": .string(otherID)])
            #expect(added.status == 200, "\(added.text)")
            #expect(added.json?["status"] == "pending")
            #expect(
                try await client.request(
                    .post, Self.images + "/\(id)/members", token: demo, body: ["member": .string(otherID)]
                ).status == 409)
            // Pending: seen by id, listed only when asked for.
            #expect(try await client.request(.get, Self.images + "/\(id)", token: other).status == 200)
            #expect(!Self.names(try await client.request(.get, Self.images, token: other)).contains("team-image"))
            #expect(
                Self.names(try await client.request(.get, Self.images + "?member_status=pending", token: other))
                    .contains("team-image"))
            // The member answers; the owner cannot answer for it, nor the member remove itself or change the image.
            #expect(
                try await client.request(
                    .put, Self.images + "/\(id)/members/\(otherID)", token: demo, body: ["status": "accepted"]
                ).status == 403)
            #expect(
                try await client.request(
                    .put, Self.images + "/\(id)/members/\(otherID)", token: other, body: ["status": "maybe"]
                ).status == 400)
            let accepted = try await client.request(
                .put, Self.images + "/\(id)/members/\(otherID)", token: other, body: ["status": "accepted"])
            #expect(accepted.json?["status"] == "accepted", "\(accepted.text)")
            #expect(Self.names(try await client.request(.get, Self.images, token: other)).contains("team-image"))
            #expect(
                Self.names(try await client.request(.get, Self.images + "?visibility=shared", token: other))
                    == ["team-image"])
            #expect(
                try await client.request(.delete, Self.images + "/\(id)/members/\(otherID)", token: other).status
                    == 403)
            #expect(
                try await client.request(
                    .patch, Self.images + "/\(id)", token: other,
                    body: [["op": "replace", "path": "/name", "value": "taken"]],
                    headers: [.contentType: "application/openstack-images-v2.1-json-patch"]
                ).status == 403)
            let members = try await client.request(.get, Self.images + "/\(id)/members", token: other)
            #expect(members.json?["members"]?.arrayValue?.count == 1)
            // Unshared: gone for the other project.
            #expect(
                try await client.request(.delete, Self.images + "/\(id)/members/\(otherID)", token: demo).status == 204)
            #expect(try await client.request(.get, Self.images + "/\(id)", token: other).status == 404)
            // Community: anyone sees it by id, lists show it only when asked for.
            _ = try await client.request(
                .patch, Self.images + "/\(privateID)", token: demo,
                body: [["op": "replace", "path": "/visibility", "value": "community"]])
            #expect(try await client.request(.get, Self.images + "/\(privateID)", token: other).status == 200)
            #expect(!Self.names(try await client.request(.get, Self.images, token: other)).contains("mine"))
            #expect(
                Self.names(try await client.request(.get, Self.images + "?visibility=community", token: other))
                    .contains("mine"))
            // Hidden: out of lists unless os_hidden=true.
            let hidden = try await client.request(
                .patch, Self.images + "/\(privateID)", token: demo,
                body: [["op": "replace", "path": "/os_hidden", "value": true]])
            #expect(hidden.json?["os_hidden"] == true, "\(hidden.text)")
            #expect(!Self.names(try await client.request(.get, Self.images, token: demo)).contains("mine"))
            #expect(
                Self.names(try await client.request(.get, Self.images + "?os_hidden=true", token: demo)) == ["mine"])
        }
    }

    @Test func glanceDirectImportStagesThenImports() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let info = try await client.request(.get, "/image/v2/info/import", token: demo)
            #expect(info.json?["import-methods"]?["value"] == ["glance-direct"])
            let created = try await client.request(
                .post, Self.images, token: demo,
                body: ["name": "imported", "disk_format": "raw", "container_format": "bare"])
            #expect(created.headers[HTTPField.Name("OpenStack-image-import-methods")!] == "glance-direct")
            let id = try #require(created.json?["id"]?.stringValue)
            let importBody: JSON = ["method": ["name": "glance-direct"]]
            #expect(
                try await client.request(.post, Self.images + "/\(id)/import", token: demo, body: importBody).status
                    == 409)
            #expect(
                try await client.request(
                    .post, Self.images + "/\(id)/import", token: demo, body: ["method": ["name": "web-download"]]
                ).status == 400)
            let data = Array((0..<70_000).map { UInt8($0 % 251) })
            let staged = try await client.request(
                .put, Self.images + "/\(id)/stage", token: demo, rawBody: data,
                headers: [.contentType: "application/octet-stream"])
            #expect(staged.status == 204, "\(staged.text)")
            #expect(try await client.request(.get, Self.images + "/\(id)", token: demo).json?["status"] == "uploading")
            #expect(
                try await client.request(.put, Self.images + "/\(id)/stage", token: demo, rawBody: data).status == 409)
            let imported = try await client.request(.post, Self.images + "/\(id)/import", token: demo, body: importBody)
            #expect(imported.status == 202, "\(imported.text)")
            let image = try await client.request(.get, Self.images + "/\(id)", token: demo)
            #expect(image.json?["status"] == "active")
            #expect(image.json?["size"] == .int(data.count))
            let md5 = Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
            #expect(image.json?["checksum"]?.stringValue == md5)
            let file = try await client.request(.get, Self.images + "/\(id)/file", token: demo)
            #expect(file.bytes == data)
            let tasks = try await client.request(.get, Self.images + "/\(id)/tasks", token: demo)
            let task = try #require(tasks.json?["tasks"]?.arrayValue?.first)
            #expect(task["type"] == "api_image_import")
            #expect(task["status"] == "success")
            let taskID = try #require(task["id"]?.stringValue)
            #expect(try await client.request(.get, "/image/v2/tasks/\(taskID)", token: demo).status == 200)
            #expect(
                try await client.request(.get, "/image/v2/tasks", token: demo).json?["tasks"]?.arrayValue?.count == 1)
            // The schemas the clients read.
            let schema = try await client.request(.get, "/image/v2/schemas/image", token: demo)
            #expect(schema.json?["properties"]?["os_hidden"]?["type"] == "boolean")
            #expect(schema.json?["additionalProperties"]?["type"] == "string")
            let members = try await client.request(.get, "/image/v2/schemas/members", token: demo)
            #expect(members.json?["properties"]?["members"]?["items"]?["name"] == "member")
        }
    }
}
