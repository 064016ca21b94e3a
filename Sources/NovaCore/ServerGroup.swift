import Foundation

/// A server group (os-server-groups): a placement policy over its member instances.
public struct ServerGroup: Sendable, Codable, Equatable {
    public static let policies = ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]

    public var id: Int
    public var uuid: String
    public var name: String
    public var projectID: String
    public var userID: String
    public var policy: String
    /// `max_server_per_host` (2.64, anti-affinity only).
    public var maxServerPerHost: Int?
    public var members: [String]
    public var createdAt: Date

    public init(
        id: Int, uuid: String, name: String, projectID: String, userID: String, policy: String,
        maxServerPerHost: Int? = nil, members: [String] = [], createdAt: Date
    ) {
        self.id = id
        self.uuid = uuid
        self.name = name
        self.projectID = projectID
        self.userID = userID
        self.policy = policy
        self.maxServerPerHost = maxServerPerHost
        self.members = members
        self.createdAt = createdAt
    }
}

/// What the scheduler needs of a request's server group and hints, resolved against the database
/// (Nova's RequestSpec.instance_group with its hosts, and the scheduler hints).
public struct SchedulingHints: Sendable, Codable, Equatable {
    /// The group's uuid, policy and rule; nil when the request names no group.
    public var groupUUID: String?
    public var groupPolicy: String?
    public var maxServerPerHost: Int?
    /// Host -> how many other members of the group run there; grows as a multi-create places members.
    public var groupHosts: [String: Int] = [:]
    /// Hosts of the instances named by `different_host` / `same_host`.
    public var differentHosts: Set<String>?
    public var sameHosts: Set<String>?
    /// `cidr` with `build_near_host_ip`: hosts whose IP is in this network.
    public var nearNetwork: String?
    /// `query`: a JsonFilter expression, as JSON text.
    public var query: String?

    public init() {}

    public var isEmpty: Bool { self == SchedulingHints() }
}
