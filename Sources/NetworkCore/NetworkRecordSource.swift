/// Read access to the networking records, for the mechanism drivers that turn them into a data plane (the
/// networking store answers it).
public protocol NetworkRecordSource: Sendable {
    func networks(ids: [String]?, visibleTo project: String?) async throws -> [Network]
    func subnets(ids: [String]?, networkIDs: [String]?) async throws -> [Subnet]
    func ports(ids: [String]?, networkIDs: [String]?, deviceIDs: [String]?, projectID: String?) async throws
        -> [NetworkPort]
    func securityGroups(ids: [String]?, projectID: String?) async throws -> [SecurityGroup]
    func securityGroupRules(groupIDs: [String]?, ids: [String]?) async throws -> [SecurityGroupRule]
    func routers(ids: [String]?, projectID: String?) async throws -> [NetworkRouter]
    func floatingIPs(ids: [String]?, projectID: String?, portIDs: [String]?) async throws -> [FloatingIP]
}

/// Where a data plane reports a port's link: up when the host's switch claimed it, down when it let it go.
public protocol PortStatusSink: Sendable {
    func portLinkChanged(portID: String, up: Bool) async
}
