import Foundation
import NovaCore
import NovaDB

/// The service catalog every scoped token carries, read from the catalog tables (`openstack endpoint
/// create|set|delete` change it). The first start seeds one service per API this cloud serves, each with a
/// public, internal and admin endpoint whose URL is a path on the listener the client reached, the paths
/// devstack uses.
public struct ServiceCatalog: Sendable {
    public struct Entry: Sendable {
        let type: String
        let name: String
        let path: String
    }

    public static let region = "RegionOne"
    public static let interfaces = ["public", "internal", "admin"]
    /// Service type -> URL listed instead of a seeded (listener-relative) endpoint's, for a service that runs in
    /// a process of its own (Placement, networking, block storage in scale-out).
    public let overrides: [String: String]

    public init(overrides: [String: String] = [:]) {
        self.overrides = overrides
    }

    public static let defaultEntries = [
        Entry(type: "identity", name: "keystone", path: "/identity"),
        Entry(type: "compute", name: "nova", path: "/compute/v2.1"),
        Entry(type: "image", name: "glance", path: "/image"),
        Entry(type: "placement", name: "placement", path: "/placement"),
        Entry(type: "network", name: "neutron", path: "/networking"),
        Entry(type: "block-storage", name: "cinder", path: "/volume/v3/$(project_id)s"),
        Entry(type: "volumev3", name: "cinderv3", path: "/volume/v3/$(project_id)s"),
        Entry(type: "ec2", name: "ec2", path: "/ec2"),
    ]

    /// Seeds the default region, services and endpoints into an empty catalog (ids stable across clouds).
    static func seed(into store: IdentityStore) async throws {
        guard try await store.catalogServices().isEmpty, try await store.regions().isEmpty,
            try await store.endpoints().isEmpty
        else { return }
        try await store.createRegion(RegionRecord(id: region, description: "", parentRegionID: nil))
        for entry in defaultEntries {
            let service = stableID(entry.type)
            try await store.saveCatalogService(
                CatalogServiceRecord(id: service, type: entry.type, name: entry.name, description: "", enabled: true))
            for interface in interfaces {
                try await store.saveEndpoint(
                    EndpointRecord(
                        id: stableID(entry.type + interface), serviceID: service, interface: interface,
                        regionID: region, url: entry.path, enabled: true))
            }
        }
    }

    /// An endpoint's URL as clients see it: a listener-relative path gets the listener's URL (or the
    /// service's override), and `$(project_id)s`/`$(tenant_id)s`/`$(user_id)s` are substituted as Keystone
    /// does. Nil when a substitution has no value (a token without a project): Keystone then leaves the
    /// endpoint out.
    func url(
        _ endpoint: EndpointRecord, serviceType: String, baseURL: String, projectID: String?, userID: String?
    ) -> String? {
        var url = listed(endpoint, serviceType: serviceType, baseURL: baseURL)
        for (name, value) in [("project_id", projectID), ("tenant_id", projectID), ("user_id", userID)] {
            let placeholder = "$(\(name))s"
            guard url.contains(placeholder) else { continue }
            guard let value, !value.isEmpty else { return nil }
            url = url.replacingOccurrences(of: placeholder, with: value)
        }
        return url
    }

    /// An endpoint's URL before substitution: a listener-relative path on the listener's URL, or the
    /// service's override (what `openstack endpoint list` shows).
    func listed(_ endpoint: EndpointRecord, serviceType: String?, baseURL: String) -> String {
        guard endpoint.url.hasPrefix("/") else { return endpoint.url }
        return overrides[serviceType ?? ""] ?? (baseURL + endpoint.url)
    }

    /// The catalog of a token: enabled services with their enabled endpoints.
    func json(store: IdentityStore, baseURL: String, projectID: String?, userID: String?) async throws -> JSON {
        let endpoints = Dictionary(grouping: try await store.endpoints(), by: \.serviceID)
        return .array(
            try await store.catalogServices().filter(\.enabled).map { service in
                let listed: [JSON] = (endpoints[service.id] ?? []).filter(\.enabled).compactMap { endpoint in
                    guard
                        let url = url(
                            endpoint, serviceType: service.type, baseURL: baseURL, projectID: projectID, userID: userID)
                    else { return nil }
                    return [
                        "id": .string(endpoint.id), "interface": .string(endpoint.interface),
                        "region_id": .optional(endpoint.regionID), "region": .optional(endpoint.regionID),
                        "url": .string(url),
                    ]
                }
                return [
                    "id": .string(service.id), "type": .string(service.type), "name": .string(service.name),
                    "endpoints": .array(listed),
                ]
            })
    }

    /// Ids that stay the same across restarts (derived from the name, as hex).
    static func stableID(_ name: String) -> String { StableHash.catalogID(name) }
}
