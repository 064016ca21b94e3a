import APISupport
import Foundation
import HTTPTypes
import NovaCore
import NovaTestSupport
import Testing

/// The Compute API's older URLs as Nova answers them: under `/v2.1/{project_id}/...` (the caller's project in
/// the URL is the same API; another project's is a 400 in Nova's words), and the removed APIs' 410.
@Suite struct LegacyComputeURLTests {
    @Test func theComputeAPIAnswersWithTheCallersProjectInTheURL() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let admin = try await client.adminToken()
            let projects = try await client.request(.get, "/identity/v3/projects", token: admin)
            var ids: [String: String] = [:]
            for project in projects.json?["projects"]?.arrayValue ?? [] {
                if let name = project["name"]?.stringValue, let id = project["id"]?.stringValue { ids[name] = id }
            }
            let project = try #require(ids["demo"])
            let other = try #require(ids["admin"])
            let image = try await client.defaultImage(token: demo)
            let created = try await client.request(
                .post, "/compute/v2.1/\(project)/servers", token: demo,
                body: ["server": ["name": "in-project", "flavorRef": "1", "imageRef": .string(image)]])
            #expect(created.status == 202, "\(created.text)")
            let id = try #require(created.json?["server"]?["id"]?.stringValue)
            let listed = try await client.request(.get, "/compute/v2.1/\(project)/servers/detail?limit=5", token: demo)
            let plain = try await client.request(.get, "/compute/v2.1/servers/detail?limit=5", token: demo)
            #expect(listed.status == 200 && listed.json?["servers"]?.arrayValue?.first?["id"]?.stringValue == id)
            #expect(listed.json?["servers"]?.arrayValue?.count == plain.json?["servers"]?.arrayValue?.count)
            let version = try await client.request(.get, "/compute/v2.1/\(project)", token: demo)
            #expect(version.json?["version"]?["id"] == "v2.1", "\(version.text)")

            let foreign = try await client.request(.get, "/compute/v2.1/\(other)/servers", token: demo)
            #expect(foreign.status == 400, "\(foreign.text)")
            #expect(
                foreign.json?["badRequest"]?["message"]?.stringValue
                    == "Malformed request URL: URL's project_id '\(other)' doesn't match Context's project_id '\(project)'"
            )
            let deleted = try await client.request(.delete, "/compute/v2.1/\(project)/servers/\(id)", token: demo)
            #expect(deleted.status == 204, "\(deleted.text)")
        }
    }

    @Test func onlyAProjectShapedSegmentIsTakenOut() {
        for path in ["/compute/v2.1/servers/detail", "/compute/v2.1/os-hypervisors", "/compute/v2.1", "/compute/v2.1/"]
        {
            #expect(ComputeProjectPath.split(path) == nil, "\(path)")
        }
        #expect(ComputeProjectPath.split("/compute/v2.1/abc1/flavors?x=1")! == ("/compute/v2.1/flavors?x=1", "abc1"))
        #expect(ComputeProjectPath.split("/compute/v2.1/abc1?x=1")! == ("/compute/v2.1?x=1", "abc1"))
        #expect(ComputeProjectPath.split("/compute/v2/abc1/servers")! == ("/compute/v2/servers", "abc1"))
        #expect(ComputeProjectPath.split("/image/v2/abc1/images") == nil)
    }

    @Test func removedAPIsAnswerGone() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("old-apis", token: demo, image: image)
            for (method, path) in [
                (HTTPRequest.Method.get, "os-agents"), (.post, "os-agents"), (.get, "os-certificates/root"),
                (.get, "os-cells/detail"), (.get, "os-fping"), (.post, "os-cloudpipe"), (.get, "os-fixed-ips/10.0.0.1"),
                (.delete, "os-floating-ips-bulk/1"), (.get, "os-floating-ip-dns/example.org/entries/a"),
                (.get, "servers/\(server)/consoles"), (.get, "servers/\(server)/os-virtual-interfaces"),
            ] {
                let reply = try await client.request(method, "/compute/v2.1/" + path, token: demo)
                #expect(reply.status == 410, "\(method) \(path): \(reply.text)")
            }
            for action in ["resetNetwork", "os-getRDPConsole"] {
                let reply = try await client.request(
                    .post, "/compute/v2.1/servers/\(server)/action", token: demo, body: [action: .null])
                #expect(reply.status == 410, "\(action): \(reply.text)")
            }
            let anonymous = try await client.request(.get, "/compute/v2.1/os-agents", token: nil)
            #expect(anonymous.status == 401)
        }
    }

    @Test func oneVersionIsShownByItsID() async throws {
        try await withCloud { client, cloud in
            let demo = try await client.demoToken(cloud)
            let current = try await client.request(.get, "/compute/v2.1/versions/v2.1", token: demo)
            #expect(current.status == 200 && current.json?["version"]?["status"] == "CURRENT", "\(current.text)")
            let legacy = try await client.request(.get, "/compute/v2.1/versions/v2.0", token: demo)
            #expect(legacy.json?["version"]?["id"] == "v2.0", "\(legacy.text)")
            let unknown = try await client.request(.get, "/compute/v2.1/versions/v3", token: demo)
            #expect(unknown.status == 404 && unknown.json?["itemNotFound"] != nil, "\(unknown.text)")
            let anonymous = try await client.request(.get, "/compute/v2.1/versions/v2.1")
            #expect(anonymous.status == 401)
        }
    }
}
