import Foundation

/// A host aggregate; its `availability_zone` metadata puts its hosts in that zone.
public struct Aggregate: Sendable, Codable, Equatable {
    public var id: Int
    public var uuid: String
    public var name: String
    public var metadata: [String: String]
    public var hosts: [String]
    public var createdAt: Date
    public var updatedAt: Date?

    public init(
        id: Int, uuid: String, name: String, metadata: [String: String], hosts: [String], createdAt: Date,
        updatedAt: Date?
    ) {
        self.id = id
        self.uuid = uuid
        self.name = name
        self.metadata = metadata
        self.hosts = hosts
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var availabilityZone: String? { metadata["availability_zone"] }
}
