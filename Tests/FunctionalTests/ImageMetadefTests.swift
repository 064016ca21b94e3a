import Foundation
import HTTPTypes
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Metadata definitions: the seeded catalog of the properties this cloud acts on, read by anyone; namespaces,
/// properties, objects and resource type associations written by admins.
@Suite struct ImageMetadefTests {
    static let metadefs = "/image/v2/metadefs"

    @Test func theCatalogDescribesWhatThisCloudReads() async throws {
        try await withCloud(fakeHosts: 1) { client, cloud in
            let admin = try await client.adminToken()
            let demo = try await client.demoToken(cloud)
            let listed = try await client.request(
                .get, Self.metadefs + "/namespaces?resource_types=OS::Glance::Image", token: demo)
            let names = listed.json?["namespaces"]?.arrayValue?.compactMap { $0["namespace"]?.stringValue } ?? []
            #expect(
                names.contains("OS::Compute::GuestAgent") && names.contains("OS::Compute::GuestDevices"), "\(names)")
            #expect(!names.contains("OS::Compute::FlavorResources"))
            let agent = try await client.request(
                .get, Self.metadefs + "/namespaces/OS::Compute::GuestAgent/properties/hw_qemu_guest_agent", token: demo)
            #expect(agent.json?["enum"] == ["yes", "no"], "\(agent.text)")
            let devices = try await client.request(
                .get, Self.metadefs + "/namespaces/OS::Compute::GuestDevices", token: demo)
            #expect(devices.json?["properties"]?["hw_disk_bus"]?["enum"] == ["virtio"])
            #expect(devices.json?["properties"]?["hw_vif_model"] != nil)
            // Seeded namespaces are protected; members do not write.
            #expect(
                try await client.request(.delete, Self.metadefs + "/namespaces/OS::Compute::GuestAgent", token: admin)
                    .status == 403)
            #expect(
                try await client.request(.post, Self.metadefs + "/namespaces", token: demo, body: ["namespace": "x"])
                    .status == 403)
            // An admin's own namespace, with a property, an object and an association.
            let created = try await client.request(
                .post, Self.metadefs + "/namespaces", token: admin,
                body: ["namespace": "Site::Backups", "display_name": "Backups", "visibility": "public"])
            #expect(created.status == 201, "\(created.text)")
            #expect(
                try await client.request(
                    .post, Self.metadefs + "/namespaces", token: admin, body: ["namespace": "Site::Backups"]
                ).status == 409)
            let property = try await client.request(
                .post, Self.metadefs + "/namespaces/Site::Backups/properties", token: admin,
                body: ["name": "backup_policy", "title": "Policy", "type": "string", "enum": ["daily", "weekly"]])
            #expect(property.status == 201, "\(property.text)")
            #expect(
                try await client.request(
                    .post, Self.metadefs + "/namespaces/Site::Backups/resource_types", token: admin,
                    body: ["name": "OS::Glance::Image", "prefix": "site_"]
                ).status == 201)
            #expect(
                try await client.request(
                    .post, Self.metadefs + "/namespaces/Site::Backups/objects", token: admin,
                    body: ["name": "Retention", "properties": ["days": ["type": "integer"]]]
                ).status == 201)
            let shown = try await client.request(.get, Self.metadefs + "/namespaces/Site::Backups", token: demo)
            #expect(shown.json?["properties"]?["backup_policy"]?["type"] == "string")
            #expect(shown.json?["objects"]?.arrayValue?.count == 1)
            #expect(shown.json?["resource_type_associations"]?.arrayValue?.first?["prefix"] == "site_")
            #expect(
                try await client.request(
                    .delete, Self.metadefs + "/namespaces/Site::Backups/properties/backup_policy", token: admin
                ).status == 204)
            #expect(
                try await client.request(.delete, Self.metadefs + "/namespaces/Site::Backups", token: admin).status
                    == 204)
            #expect(
                try await client.request(.get, Self.metadefs + "/namespaces/Site::Backups", token: demo).status == 404)
            let types = try await client.request(.get, Self.metadefs + "/resource_types", token: demo)
            #expect(types.json?["resource_types"]?.arrayValue?.contains { $0["name"] == "OS::Nova::Flavor" } == true)
        }
    }
}
