import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// `[image_quota]`: a project's image count, stored and staged data, and one image's members and tags, each
/// refused with Glance's 413 past its limit, leaving nothing behind.
@Suite struct ImageQuotaTests {
    static let images = "/image/v2/images"

    @Test func aProjectsImagesStayWithinItsLimits() async throws {
        let configure: (inout CloudOptions) -> Void = { options in
            options.imageQuotas.imageCountTotal = 3
            options.imageQuotas.imageSizeTotal = 1
            options.imageQuotas.imageStageTotal = 1
            options.imageQuotas.tagsPerImage = 2
            options.imageQuotas.membersPerImage = 1
        }
        try await withCloud(fakeHosts: 1, configure: configure) { client, cloud in
            let demo = try await client.demoToken(cloud)
            var ids: [String] = []
            for index in 0..<3 {
                let created = try await client.request(
                    .post, Self.images, token: demo, body: ["name": .string("q\(index)"), "visibility": "shared"])
                #expect(created.status == 201, "\(created.text)")
                ids.append(try #require(created.json?["id"]?.stringValue))
            }
            let fourth = try await client.request(.post, Self.images, token: demo, body: ["name": "q3"])
            #expect(fourth.status == 413, "\(fourth.text)")
            #expect(fourth.text.contains("image_count_total"))
            // 1 MiB of data: 600 KiB fits, another 600 KiB does not, and that image stays queued.
            let chunk = [UInt8](repeating: 7, count: 600 << 10)
            #expect(
                try await client.request(.put, Self.images + "/\(ids[0])/file", token: demo, rawBody: chunk).status
                    == 204)
            let over = try await client.request(.put, Self.images + "/\(ids[1])/file", token: demo, rawBody: chunk)
            #expect(over.status == 413, "\(over.text)")
            #expect(try await client.request(.get, Self.images + "/\(ids[1])", token: demo).json?["status"] == "queued")
            // Staging has its own 1 MiB.
            #expect(
                try await client.request(.put, Self.images + "/\(ids[1])/stage", token: demo, rawBody: chunk).status
                    == 204)
            #expect(
                try await client.request(.put, Self.images + "/\(ids[2])/stage", token: demo, rawBody: chunk).status
                    == 413)
            // Two tags, one member per image.
            for tag in ["a", "b"] {
                #expect(
                    try await client.request(.put, Self.images + "/\(ids[2])/tags/\(tag)", token: demo).status == 204)
            }
            #expect(try await client.request(.put, Self.images + "/\(ids[2])/tags/c", token: demo).status == 413)
            #expect(
                try await client.request(.get, Self.images + "/\(ids[2])", token: demo).json?["tags"]?.arrayValue?
                    .count == 2)
            #expect(
                try await client.request(
                    .post, Self.images + "/\(ids[2])/members", token: demo, body: ["member": "p1"]
                ).status == 200)
            #expect(
                try await client.request(
                    .post, Self.images + "/\(ids[2])/members", token: demo, body: ["member": "p2"]
                ).status == 413)
        }
    }
}
