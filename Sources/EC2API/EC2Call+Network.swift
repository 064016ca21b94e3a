import Foundation
import NovaCore

/// DescribeVpcs and DescribeSubnets over the networking API's networks and subnets; AllocateAddress,
/// AssociateAddress, DisassociateAddress, ReleaseAddress and DescribeAddresses over its floating IPs.
extension EC2Call {
    func networkList(_ resource: String, _ key: String, query: String = "") async throws -> [JSON] {
        try await expect(.network, .get, "/v2.0/\(resource)" + query)[key]?.arrayValue ?? []
    }

    /// Whether a resource whose filterable fields are `fields` passes every filter; a filter on a field the
    /// resource does not have is EC2's InvalidParameterValue.
    static func matchesAll(_ filters: [(name: String, values: [String])], _ fields: [String: [String]])
        throws(EC2Error) -> Bool
    {
        for filter in filters {
            guard let values = fields[filter.name] else {
                throw EC2Error("InvalidParameterValue", "The filter '\(filter.name)' is invalid")
            }
            if !matches(filter, values) { return false }
        }
        return true
    }

    /// Whether a filter's values take one of `values`.
    static func matches(_ filter: (name: String, values: [String]), _ values: [String]) -> Bool {
        values.contains { value in filter.values.contains { wildcard($0, matches: value) } }
    }

    func describeVpcs() async throws -> [XMLNode] {
        try dryRun(write: false)
        let networks = try await networkList("networks", "networks").filter {
            $0["router:external"]?.boolValue != true
        }
        let subnets = try await networkList("subnets", "subnets")
        let ids = try await api.store.ec2IDs(kind: "vpc", uuids: networks.compactMap { $0["id"]?.stringValue })
        let wanted = params.list("VpcId")
        if let missing = wanted.first(where: { !Set(ids.values).contains($0) }) {
            throw EC2Error("InvalidVpcID.NotFound", "The vpc ID '\(missing)' does not exist")
        }
        let filters = try params.filters()
        var items: [[XMLNode]] = []
        for network in networks {
            guard let uuid = network["id"]?.stringValue, let id = ids[uuid], wanted.isEmpty || wanted.contains(id)
            else { continue }
            let cidr =
                subnets.first { $0["network_id"]?.stringValue == uuid && $0["ip_version"]?.intValue == 4 }?["cidr"]?
                .stringValue ?? ""
            let name = network["name"]?.stringValue ?? ""
            let fields: [String: [String]] = [
                "vpc-id": [id], "cidr": [cidr], "cidr-block": [cidr], "state": ["available"],
                "is-default": ["false"], "owner-id": [network["project_id"]?.stringValue ?? ""], "tag:Name": [name],
            ]
            guard try Self.matchesAll(filters, fields) else { continue }
            var nodes: [XMLNode] = [
                .text("vpcId", id), .text("state", "available"), .text("cidrBlock", cidr),
                .text("dhcpOptionsId", "default"), .text("instanceTenancy", "default"), .text("isDefault", "false"),
                .text("ownerId", network["project_id"]?.stringValue ?? ""),
            ]
            if !name.isEmpty { nodes.append(.set("tagSet", [[.text("key", "Name"), .text("value", name)]])) }
            items.append(nodes)
        }
        return [.set("vpcSet", items)]
    }

    func describeSubnets() async throws -> [XMLNode] {
        try dryRun(write: false)
        let subnets = try await networkList("subnets", "subnets").filter { $0["ip_version"]?.intValue == 4 }
        let external = Set(
            try await networkList("networks", "networks", query: "?router:external=true").compactMap {
                $0["id"]?.stringValue
            })
        let visible = subnets.filter { !external.contains($0["network_id"]?.stringValue ?? "") }
        let ids = try await api.store.ec2IDs(kind: "subnet", uuids: visible.compactMap { $0["id"]?.stringValue })
        let vpcs = try await api.store.ec2IDs(kind: "vpc", uuids: visible.compactMap { $0["network_id"]?.stringValue })
        let wanted = params.list("SubnetId")
        if let missing = wanted.first(where: { !Set(ids.values).contains($0) }) {
            throw EC2Error("InvalidSubnetID.NotFound", "The subnet ID '\(missing)' does not exist")
        }
        let filters = try params.filters()
        var items: [[XMLNode]] = []
        for subnet in visible {
            guard let uuid = subnet["id"]?.stringValue, let id = ids[uuid], wanted.isEmpty || wanted.contains(id),
                let vpc = subnet["network_id"]?.stringValue.flatMap({ vpcs[$0] })
            else { continue }
            let cidr = subnet["cidr"]?.stringValue ?? ""
            let fields: [String: [String]] = [
                "subnet-id": [id], "vpc-id": [vpc], "cidr": [cidr], "cidr-block": [cidr], "cidrBlock": [cidr],
                "state": ["available"], "availability-zone": [zoneName],
                "tag:Name": [subnet["name"]?.stringValue ?? ""],
            ]
            guard try Self.matchesAll(filters, fields) else { continue }
            items.append([
                .text("subnetId", id), .text("state", "available"), .text("vpcId", vpc), .text("cidrBlock", cidr),
                .text("availableIpAddressCount", String(Self.addressCount(subnet))),
                .text("availabilityZone", zoneName), .text("defaultForAz", "false"),
                .text("mapPublicIpOnLaunch", "false"), .text("ownerId", subnet["project_id"]?.stringValue ?? ""),
            ])
        }
        return [.set("subnetSet", items)]
    }

    /// The zone subnets are reported in: the compute API's default zone (networks here span every host).
    var zoneName: String { "nova" }

    /// The addresses of a subnet's allocation pools (what EC2 counts as available, before allocations).
    static func addressCount(_ subnet: JSON) -> Int {
        var total = 0
        for pool in subnet["allocation_pools"]?.arrayValue ?? [] {
            guard let start = pool["start"]?.stringValue.flatMap(IPv4Network.parseAddress),
                let end = pool["end"]?.stringValue.flatMap(IPv4Network.parseAddress), end >= start
            else { continue }
            total += Int(end - start) + 1
        }
        return total
    }

    // MARK: Addresses

    func floatingIPs() async throws -> [JSON] { try await networkList("floatingips", "floatingips") }

    func addressNodes(_ floating: JSON) async throws -> [XMLNode] {
        var nodes: [XMLNode] = [
            .text("publicIp", floating["floating_ip_address"]?.stringValue ?? ""), .text("domain", "vpc"),
            .text("allocationId", try await api.store.ec2ID(kind: "eipalloc", uuid: floating["id"]?.stringValue ?? "")),
        ]
        if let port = floating["port_id"]?.stringValue {
            nodes.append(.text("associationId", try await api.store.ec2ID(kind: "eipassoc", uuid: port)))
            nodes.append(.text("networkInterfaceId", try await api.store.ec2ID(kind: "eni", uuid: port)))
            if let fixed = floating["fixed_ip_address"]?.stringValue { nodes.append(.text("privateIpAddress", fixed)) }
            let ports = try await networkList("ports", "ports", query: "?id=" + PercentEncoding.encode(port))
            if let device = ports.first?["device_id"]?.stringValue, !device.isEmpty,
                ports.first?["device_owner"]?.stringValue?.hasPrefix("compute:") == true
            {
                nodes.append(.text("instanceId", try await api.store.ec2ID(kind: "i", uuid: device)))
            }
        }
        return nodes
    }

    func allocateAddress() async throws -> [XMLNode] {
        if let domain = params["Domain"], domain != "vpc", domain != "standard" {
            throw EC2Error.invalid("Domain", domain, "It must be vpc or standard.")
        }
        let external = try await networkList("networks", "networks", query: "?router:external=true")
        guard let network = external.first?["id"]?.stringValue else {
            throw EC2Error("AddressLimitExceeded", "There is no external network to allocate addresses on.")
        }
        try dryRun(write: true)
        let created = try await expect(
            .network, .post, "/v2.0/floatingips",
            body: [
                "floatingip": ["floating_network_id": .string(network), "project_id": .string(credentials.projectID)]
            ],
            conflict: EC2Error("AddressLimitExceeded", "No address is free on the external network."))
        let floating = created["floatingip"] ?? .null
        return [
            .text("publicIp", floating["floating_ip_address"]?.stringValue ?? ""), .text("domain", "vpc"),
            .text("allocationId", try await api.store.ec2ID(kind: "eipalloc", uuid: floating["id"]?.stringValue ?? "")),
        ]
    }

    /// The floating IP an `AllocationId` or `PublicIp` names.
    func namedAddress() async throws -> JSON {
        let all = try await floatingIPs()
        if let allocation = params["AllocationId"] {
            let uuid = try await api.store.uuids(kind: "eipalloc", ec2IDs: [allocation])[allocation]
            guard let found = all.first(where: { $0["id"]?.stringValue == uuid && uuid != nil }) else {
                throw EC2Error("InvalidAllocationID.NotFound", "The allocation ID '\(allocation)' does not exist")
            }
            return found
        }
        if let address = params["PublicIp"] {
            guard let found = all.first(where: { $0["floating_ip_address"]?.stringValue == address }) else {
                throw EC2Error("InvalidAddress.NotFound", "The address '\(address)' is not found")
            }
            return found
        }
        throw EC2Error.missing("AllocationId")
    }

    func describeAddresses() async throws -> [XMLNode] {
        try dryRun(write: false)
        var all = try await floatingIPs()
        let allocations = params.list("AllocationId")
        let addresses = params.list("PublicIp")
        if !allocations.isEmpty {
            let uuids = try await api.store.uuids(kind: "eipalloc", ec2IDs: allocations)
            if let missing = allocations.first(where: { uuids[$0] == nil }) {
                throw EC2Error("InvalidAllocationID.NotFound", "The allocation ID '\(missing)' does not exist")
            }
            all = all.filter { Set(uuids.values).contains($0["id"]?.stringValue ?? "") }
        }
        if !addresses.isEmpty {
            all = all.filter { addresses.contains($0["floating_ip_address"]?.stringValue ?? "") }
        }
        var items: [[XMLNode]] = []
        for floating in all { items.append(try await addressNodes(floating)) }
        return [.set("addressesSet", items)]
    }

    func associateAddress() async throws -> [XMLNode] {
        let floating = try await namedAddress()
        let instanceID = try params.required("InstanceId")
        let server = try await uuid(of: instanceID, kind: "i", notFound: instanceNotFound(instanceID))
        let ports = try await networkList("ports", "ports", query: "?device_id=" + PercentEncoding.encode(server))
        let wantedAddress = params["PrivateIpAddress"]
        guard
            let port = ports.first(where: { port in
                wantedAddress == nil
                    || (port["fixed_ips"]?.arrayValue ?? []).contains { $0["ip_address"]?.stringValue == wantedAddress }
            }), let portID = port["id"]?.stringValue
        else {
            throw EC2Error("InvalidInstanceID", "The instance '\(instanceID)' has no network interface to associate.")
        }
        try dryRun(write: true)
        var update: JSONObject = ["port_id": .string(portID)]
        if let wantedAddress { update["fixed_ip_address"] = .string(wantedAddress) }
        try await expect(
            .network, .put, "/v2.0/floatingips/" + (floating["id"]?.stringValue ?? ""),
            body: ["floatingip": .object(update)],
            conflict: EC2Error("Resource.AlreadyAssociated", "The address is associated elsewhere."))
        return [
            .text("return", "true"), .text("associationId", try await api.store.ec2ID(kind: "eipassoc", uuid: portID)),
        ]
    }

    func disassociateAddress() async throws -> [XMLNode] {
        let all = try await floatingIPs()
        var floating: JSON?
        if let association = params["AssociationId"] {
            let port = try await api.store.uuids(kind: "eipassoc", ec2IDs: [association])[association]
            floating = all.first { port != nil && $0["port_id"]?.stringValue == port }
            guard floating != nil else {
                throw EC2Error("InvalidAssociationID.NotFound", "The association ID '\(association)' does not exist")
            }
        } else {
            floating = try await namedAddress()
        }
        try dryRun(write: true)
        try await expect(
            .network, .put, "/v2.0/floatingips/" + (floating?["id"]?.stringValue ?? ""),
            body: ["floatingip": ["port_id": .null]])
        return [.text("return", "true")]
    }

    func releaseAddress() async throws -> [XMLNode] {
        let floating = try await namedAddress()
        if floating["port_id"]?.stringValue != nil {
            throw EC2Error("InvalidIPAddress.InUse", "The address is associated: disassociate it first.")
        }
        try dryRun(write: true)
        try await expect(.network, .delete, "/v2.0/floatingips/" + (floating["id"]?.stringValue ?? ""))
        return [.text("return", "true")]
    }
}
