import Foundation
import NovaCore
import NovaTestSupport
import Testing

/// Compute API routes and fields Tempest found missing or different from Nova's (issue 21): the image
/// proxies, os-hosts, the extension list, tenant usage, access IPs, disk config, and the answers of create,
/// update and rebuild.
@Suite struct ComputeAPIGapTests {
    static let compute = "/compute/v2.1"

    @Test func imageProxiesShowTheImageServicesImagesInNovasShape() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let list = try await client.request(.get, Self.compute + "/images", token: demo)
            #expect(
                list.json?["images"]?.arrayValue?.contains { $0["id"]?.stringValue == image } == true, "\(list.text)")
            let shown = try await client.request(.get, Self.compute + "/images/\(image)", token: demo)
            #expect(shown.json?["image"]?["status"] == "ACTIVE" && shown.json?["image"]?["progress"] == 100)
            #expect(
                try await client.request(.get, Self.compute + "/images", token: demo, version: "2.36").status == 404)

            let server = try await client.createServer("snap", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let made = try await client.request(
                .post, Self.compute + "/servers/\(server)/action", token: demo,
                body: ["createImage": ["name": "snap", "metadata": ["image_type": "mine", "k": "v"]]])
            #expect(made.status == 202, "\(made.text)")
            let location = made.headers[.location] ?? ""
            let snapshot = String(location.split(separator: "/").last ?? "")
            // The caller's metadata wins over the standard snapshot properties, as in Nova.
            let meta = try await client.request(.get, Self.compute + "/images/\(snapshot)/metadata", token: demo)
            #expect(meta.json?["metadata"]?["image_type"] == "mine", "\(meta.text)")
            let byServer = try await client.request(
                .get, Self.compute + "/images/detail?server=http://x/servers/\(server)", token: demo)
            #expect(
                byServer.json?["images"]?.arrayValue?.map { $0["id"]?.stringValue } == [snapshot], "\(byServer.text)")

            let set = try await client.request(
                .put, Self.compute + "/images/\(snapshot)/metadata/k", token: demo, body: ["meta": ["k": "w"]])
            #expect(set.json?["meta"] == ["k": "w"], "\(set.text)")
            let mismatch = try await client.request(
                .put, Self.compute + "/images/\(snapshot)/metadata/k", token: demo, body: ["meta": ["other": "w"]])
            #expect(mismatch.status == 400)
            let reserved = try await client.request(
                .post, Self.compute + "/images/\(snapshot)/metadata", token: demo, body: ["metadata": ["owner": "x"]])
            #expect(reserved.status == 403, "\(reserved.text)")
            let otherProject = try await client.request(
                .delete, Self.compute + "/images/\(snapshot)/metadata/k", token: admin)
            #expect(otherProject.status == 204)
            #expect(try await client.request(.delete, Self.compute + "/images/\(snapshot)", token: demo).status == 204)
            #expect(try await client.request(.get, Self.compute + "/images/\(snapshot)", token: demo).status == 404)
            #expect(try await client.request(.get, "/image/v2/images/\(snapshot)", token: demo).status == 404)
        }
    }

    @Test func hostsExtensionsAndTenantUsage() async throws {
        try await withCloud(fakeHosts: 2) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let hosts = try await client.request(.get, Self.compute + "/os-hosts", token: admin)
            let computes = hosts.json?["hosts"]?.arrayValue?.filter { $0["service"] == "compute" } ?? []
            #expect(computes.count == 2, "\(hosts.text)")
            let name = try #require(computes.first?["host_name"]?.stringValue)
            let inZone = try await client.request(.get, Self.compute + "/os-hosts?zone=nova", token: admin)
            #expect(inZone.json?["hosts"]?.arrayValue?.count == 2, "\(inZone.text)")
            let detail = try await client.request(.get, Self.compute + "/os-hosts/\(name)", token: admin)
            let projects = detail.json?["host"]?.arrayValue?.compactMap { $0["resource"]?["project"]?.stringValue }
            #expect(projects?.prefix(3) == ["(total)", "(used_now)", "(used_max)"], "\(detail.text)")
            #expect(try await client.request(.get, Self.compute + "/os-hosts", token: demo).status == 403)
            #expect(try await client.request(.get, Self.compute + "/os-hosts/nope", token: admin).status == 404)
            let bad = try await client.request(
                .put, Self.compute + "/os-hosts/\(name)", token: admin, body: ["status": "sideways"])
            #expect(bad.status == 400)
            #expect(
                try await client.request(.get, Self.compute + "/os-hosts", token: admin, version: "2.43").status == 404)

            let extensions = try await client.request(.get, Self.compute + "/extensions", token: demo)
            #expect(extensions.json?["extensions"]?.arrayValue?.contains { $0["name"] == "Hosts" } == true)
            let consoles = try await client.request(.get, Self.compute + "/extensions/os-consoles", token: demo)
            #expect(consoles.json?["extension"]?["alias"] == "os-consoles")
            #expect(try await client.request(.get, Self.compute + "/extensions/nope", token: demo).status == 404)

            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("used", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let project = try #require(
                try await client.request(.get, Self.compute + "/servers/\(server)", token: demo).json?["server"]?[
                    "tenant_id"]?.stringValue)
            let period = "start=2000-01-01T00:00:00&end=2100-01-01T00:00:00.000000"
            let usage = try await client.request(
                .get, Self.compute + "/os-simple-tenant-usage/\(project)?\(period)", token: demo)
            let own = usage.json?["tenant_usage"]
            #expect(
                own?["server_usages"]?.arrayValue?.map { $0["instance_id"]?.stringValue } == [server], "\(usage.text)")
            if case .double(let hours) = own?["total_hours"] {
                #expect(hours > 0)
            } else {
                Issue.record("\(usage.text)")
            }
            let all = try await client.request(
                .get, Self.compute + "/os-simple-tenant-usage?\(period)&detailed=1", token: admin)
            #expect(
                all.json?["tenant_usages"]?.arrayValue?.contains { $0["tenant_id"]?.stringValue == project } == true)
            #expect(try await client.request(.get, Self.compute + "/os-simple-tenant-usage", token: demo).status == 403)
            let backwards = try await client.request(
                .get,
                Self.compute + "/os-simple-tenant-usage/\(project)?start=2100-01-01T00:00:00&end=2000-01-01T00:00:00",
                token: demo)
            #expect(backwards.status == 400)
        }
    }

    @Test func diagnosticsAndQuotaClasses() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let server = try await client.createServer("diag", token: demo, image: image)
            try await client.waitFor(server, status: "ACTIVE", token: demo)
            let path = Self.compute + "/servers/\(server)/diagnostics"
            #expect(try await client.request(.get, path, token: demo).status == 403)
            let standard = try await client.request(.get, path, token: admin, version: "2.48")
            let view = try #require(standard.json?.objectValue, "\(standard.text)")
            #expect(view["state"] == "running" && view["driver"] == "libvirt" && view["num_cpus"] == 1, "\(view)")
            #expect(view["disk_details"]?.arrayValue?.first?["read_bytes"] == 0, "\(view)")
            let flat = try await client.request(.get, path, token: admin)
            #expect(flat.json?["cpu0_time"] == 0 && flat.json?["vda_read"] == 0, "\(flat.text)")

            let password = try await client.request(
                .get, Self.compute + "/servers/\(server)/os-server-password", token: demo)
            #expect(password.json == ["password": ""], "\(password.text)")
            #expect(
                try await client.request(.delete, Self.compute + "/servers/\(server)/os-server-password", token: demo)
                    .status == 204)

            let defaults = try await client.request(.get, Self.compute + "/os-quota-class-sets/default", token: admin)
            let cores = try #require(defaults.json?["quota_class_set"]?["cores"]?.intValue, "\(defaults.text)")
            #expect(defaults.json?["quota_class_set"]?["floating_ips"] != nil)
            #expect(
                try await client.request(
                    .get, Self.compute + "/os-quota-class-sets/default", token: admin, version: "2.57"
                ).json?["quota_class_set"]?["injected_files"] == nil)
            let raised = try await client.request(
                .put, Self.compute + "/os-quota-class-sets/default", token: admin,
                body: ["quota_class_set": ["cores": .int(cores + 100)]])
            #expect(raised.json?["quota_class_set"]?["cores"] == .int(cores + 100), "\(raised.text)")
            #expect(raised.json?["quota_class_set"]?["id"] == nil)
            // A project without a limit of its own now has the class's.
            let project = try #require(
                try await client.request(.get, Self.compute + "/servers/\(server)", token: demo).json?["server"]?[
                    "tenant_id"]?.stringValue)
            let quota = try await client.request(.get, Self.compute + "/os-quota-sets/\(project)", token: demo)
            #expect(quota.json?["quota_set"]?["cores"] == .int(cores + 100), "\(quota.text)")
            let unknown = try await client.request(
                .put, Self.compute + "/os-quota-class-sets/default", token: admin,
                body: ["quota_class_set": ["bananas": 1]])
            #expect(unknown.status == 400)
            #expect(
                try await client.request(
                    .put, Self.compute + "/os-quota-class-sets/default", token: demo,
                    body: ["quota_class_set": ["cores": 1]]
                ).status == 403)
        }
    }

    @Test func createUpdateAndRebuildAnswerAsNovaDoes() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let demo = try await client.demoToken(cloud)
            let image = try await client.defaultImage(token: demo)
            let badIP = try await client.request(
                .post, Self.compute + "/servers", token: demo,
                body: [
                    "server": ["name": "x", "flavorRef": "1", "imageRef": .string(image), "accessIPv4": "1.1.1.1.1"]
                ])
            #expect(badIP.status == 400, "\(badIP.text)")
            let server = try await client.createServer(
                "ips", token: demo, image: image,
                extra: ["accessIPv6": "0000:0000:0000:0000:0000:babe:220.12.22.2", "OS-DCF:diskConfig": "AUTO"])
            let shown = try await client.waitFor(server, status: "ACTIVE", token: demo)
            #expect(shown["accessIPv6"] == "::babe:dc0c:1602" && shown["OS-DCF:diskConfig"] == "AUTO", "\(shown)")

            // Before 2.75 the answer to PUT has none of the extension attributes; from 2.75 it is the show view.
            let renamed = try await client.request(
                .put, Self.compute + "/servers/\(server)", token: demo, body: ["server": ["name": "renamed"]])
            let view = try #require(renamed.json?["server"]?.objectValue, "\(renamed.text)")
            #expect(view["name"] == "renamed" && view["OS-EXT-STS:vm_state"] == nil && view["key_name"] == nil)
            let full = try await client.request(
                .put, Self.compute + "/servers/\(server)", token: demo, version: "2.75",
                body: ["server": ["OS-DCF:diskConfig": "MANUAL"]])
            #expect(full.json?["server"]?["OS-EXT-STS:vm_state"] == "active", "\(full.text)")
            #expect(full.json?["server"]?["OS-DCF:diskConfig"] == "MANUAL")

            let rebuilt = try await client.request(
                .post, Self.compute + "/servers/\(server)/action", token: demo, version: "2.57",
                body: ["rebuild": ["imageRef": .string(image), "user_data": "aGk="]])
            #expect(rebuilt.json?["server"]?["user_data"] == "aGk=", "\(rebuilt.text)")
            #expect(rebuilt.json?["server"]?["OS-EXT-STS:vm_state"] == nil, "\(rebuilt.text)")

            let tag = try await client.request(
                .put, Self.compute + "/servers/\(server)/tags/blue", token: demo, version: "2.26")
            #expect(tag.status == 201 && tag.headers[.location]?.hasSuffix("/servers/\(server)/tags/blue") == true)
            let again = try await client.request(
                .put, Self.compute + "/servers/\(server)/tags/blue", token: demo, version: "2.26")
            #expect(again.status == 204 && again.headers[.location] != nil)
        }
    }
}
