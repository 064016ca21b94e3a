import APISupport
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    static let subnetAttributes: Set<String> = [
        "network_id", "cidr", "ip_version", "name", "gateway_ip", "allocation_pools", "dns_nameservers",
        "host_routes", "enable_dhcp", "ipv6_ra_mode", "ipv6_address_mode", "description", "tenant_id", "project_id",
        "subnetpool_id", "segment_id", "service_types",
    ]
    static let subnetUpdatable: Set<String> = [
        "name", "gateway_ip", "allocation_pools", "dns_nameservers", "host_routes", "enable_dhcp", "description",
    ]

    func registerSubnets(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("subnets") { request, context in
            let caller = try context.caller()
            let query = ListQuery(request.query)
            let visible = try await store.networks(visibleTo: caller.isAdmin ? nil : caller.projectID)
            let networkIDs = query.values("network_id").map { Set($0) }
            let subnets = try await store.subnets(
                ids: query.values("id"), networkIDs: visible.map(\.id).filter { networkIDs?.contains($0) ?? true })
            return Response.json(
                try query.respond(
                    subnets.map(subnetView), collection: "subnets", path: "/\(Self.prefix)/v2.0/subnets",
                    baseURL: request.baseURL(fallback: "")))
        }
        v2.post("subnets") { request, context in
            let caller = try context.caller()
            let body = try await body(request, context, resource: "subnet", allowed: Self.subnetAttributes)
            let subnet = try await newSubnet(body, caller: caller)
            let stored = try await store.createSubnet(subnet)
            try await notify(.created(.subnet(stored)))
            await subnetChanged(network: stored.networkID)
            return Response.json(["subnet": .object(subnetView(stored))], status: 201)
        }
        v2.get("subnets/{id}") { _, context in
            let subnet = try await visibleSubnet(context.parameter("id"), try context.caller())
            return Response.json(["subnet": .object(subnetView(subnet))])
        }
        v2.put("subnets/{id}") { request, context in
            let caller = try context.caller()
            let current = try await visibleSubnet(context.parameter("id"), caller)
            guard caller.isAdmin || current.projectID == caller.projectID else {
                throw NovaError.policy("rule:update_subnet")
            }
            let body = try await body(request, context, resource: "subnet", allowed: Self.subnetAttributes)
            if let fixed = body.keys.first(where: { !Self.subnetUpdatable.contains($0) }) {
                throw NovaError.badRequest("Cannot update read-only attribute \(fixed)")
            }
            var changed = current
            try applySubnetBody(body, to: &changed, creating: false)
            let now = clock.now
            let result = changed
            let (old, new) = try await store.updateSubnet(id: current.id) { subnet in
                subnet = result
                subnet.standard.touch(now)
            }
            try await notify(.updated(old: .subnet(old), new: .subnet(new)))
            await subnetChanged(network: new.networkID)
            return Response.json(["subnet": .object(subnetView(new))])
        }
        v2.delete("subnets/{id}") { _, context in
            let caller = try context.caller()
            let subnet = try await visibleSubnet(context.parameter("id"), caller)
            guard caller.isAdmin || subnet.projectID == caller.projectID else {
                throw NovaError.policy("rule:delete_subnet")
            }
            let deleted = try await store.deleteSubnet(id: subnet.id)
            try await notify(.deleted(.subnet(deleted)))
            await subnetChanged(network: deleted.networkID)
            return Response.empty(status: 204)
        }
    }

    func visibleSubnet(_ id: String, _ caller: Credentials) async throws -> Subnet {
        guard let subnet = try await store.subnet(id: id),
            (try? await visibleNetwork(subnet.networkID, caller)) != nil
        else { throw NovaError(.subnetNotFound, "Subnet \(id) could not be found.") }
        return subnet
    }

    func newSubnet(_ body: JSONObject, caller: Credentials) async throws -> Subnet {
        guard let networkID = body["network_id"]?.stringValue else {
            throw NovaError.badRequest("Failed to parse request. Required attribute 'network_id' not specified")
        }
        let network = try await visibleNetwork(networkID, caller)
        guard caller.isAdmin || network.projectID == caller.projectID else {
            throw NovaError.policy("rule:create_subnet and rule:create_subnet:network_owner")
        }
        guard body["subnetpool_id"] == nil || body["subnetpool_id"] == .null else {
            throw NovaError.invalidInput("subnet pools are not supported by this networking service")
        }
        let version = try CheckedInput.requiredInteger(
            body["ip_version"], field: "ip_version", in: 0...255, allowString: true)
        guard version == 4 || version == 6 else { throw NovaError.invalidInput("\(version) is not in [4, 6]") }
        guard let text = body["cidr"]?.stringValue else {
            throw NovaError.badRequest("Bad subnets request: a cidr must be specified in the absence of a subnet pool")
        }
        guard let cidr = IPNetwork(cidr: text) else {
            throw NovaError.invalidInput("'\(text.prefix(64))' is not a valid IP subnet")
        }
        guard cidr.description == text else {
            throw NovaError.invalidInput(
                "'\(text.prefix(64))' isn't a recognized IP subnet cidr, '\(cidr)' is recommended")
        }
        guard cidr.version == version else {
            throw NovaError.invalidInput("Invalid CIDR \(text) for IP version \(version)")
        }
        guard cidr.prefixLength <= (version == 4 ? 30 : 126) else {
            throw NovaError.invalidInput("Invalid CIDR \(text): the prefix is too long to hold any address")
        }
        var subnet = Subnet(
            id: newID(), projectID: try owner(body, caller, resource: "subnet"), networkID: network.id,
            name: try name(body) ?? "", cidr: cidr, createdAt: clock.now)
        subnet.gatewayIP = AddressAllocator.defaultGateway(cidr)?.description
        try applySubnetBody(body, to: &subnet, creating: true)
        return subnet
    }

    /// Applies and checks the writable fields (gateway, pools, DNS servers, routes, DHCP, IPv6 modes).
    func applySubnetBody(_ body: JSONObject, to subnet: inout Subnet, creating: Bool) throws {
        guard let cidr = subnet.network else { return }
        if let name = try name(body) { subnet.name = name }
        if let description = try name(body, "description") { subnet.standard.description = description }
        if let dhcp = try flag(body, "enable_dhcp") { subnet.enableDHCP = dhcp }
        if let value = body["gateway_ip"] {
            if value.isNull {
                subnet.gatewayIP = nil
            } else {
                guard let text = value.stringValue, let gateway = IPAddress(text), cidr.contains(gateway),
                    gateway != cidr.first, cidr.version == 6 || gateway != cidr.last
                else {
                    throw NovaError.invalidInput(
                        "Gateway is not valid on subnet: \(value.serialized().prefix(64)) is not an address of \(cidr)")
                }
                subnet.gatewayIP = gateway.description
            }
        }
        let gateway = subnet.gatewayIP.flatMap(IPAddress.init)
        if let value = body["allocation_pools"] {
            guard let list = value.arrayValue else { throw NovaError.invalidInput("allocation_pools must be a list") }
            let pools = try list.map { pool -> IPRange in
                guard let start = pool["start"]?.stringValue, let end = pool["end"]?.stringValue else {
                    throw NovaError.invalidInput("an allocation pool needs a start and an end")
                }
                return IPRange(start: start, end: end)
            }
            subnet.allocationPools = try AddressAllocator.checkedPools(pools, network: cidr, gateway: gateway)
        } else if creating || body["gateway_ip"] != nil && subnet.allocationPools.isEmpty {
            subnet.allocationPools = AddressAllocator.defaultPools(cidr, gateway: gateway)
        } else if let gateway,
            subnet.allocationPools.contains(where: { pool in
                guard let start = IPAddress(pool.start), let end = IPAddress(pool.end) else { return false }
                return start <= gateway && gateway <= end
            })
        {
            throw NovaError(.conflict, "Gateway ip \(gateway) conflicts with allocation pools.")
        }
        if let value = body["dns_nameservers"] {
            guard let list = value.arrayValue?.compactMap(\.stringValue), list.count == value.arrayValue?.count else {
                throw NovaError.invalidInput("dns_nameservers must be a list of addresses")
            }
            for server in list where IPAddress(server) == nil {
                throw NovaError.invalidInput("'\(server.prefix(64))' is not a valid nameserver")
            }
            guard Set(list).count == list.count else { throw NovaError.invalidInput("Duplicate nameserver") }
            subnet.dnsNameservers = list
        }
        if let value = body["host_routes"] {
            guard let list = value.arrayValue else { throw NovaError.invalidInput("host_routes must be a list") }
            subnet.hostRoutes = try list.map { route in
                guard let destination = route["destination"]?.stringValue, IPNetwork(cidr: destination) != nil,
                    let nexthop = route["nexthop"]?.stringValue, IPAddress(nexthop) != nil
                else { throw NovaError.invalidInput("a host route needs a destination CIDR and a nexthop address") }
                return HostRoute(destination: destination, nexthop: nexthop)
            }
        }
        for key in ["ipv6_ra_mode", "ipv6_address_mode"] {
            guard let value = body[key], !value.isNull else { continue }
            guard subnet.ipVersion == 6, let mode = value.stringValue,
                ["slaac", "dhcpv6-stateful", "dhcpv6-stateless"].contains(mode)
            else { throw NovaError.invalidInput("\(key) is invalid: \(value.serialized().prefix(64))") }
            if key == "ipv6_ra_mode" { subnet.ipv6RAMode = mode } else { subnet.ipv6AddressMode = mode }
        }
    }

    func subnetView(_ subnet: Subnet) -> JSONObject {
        var json: JSONObject = [
            "id": .string(subnet.id), "name": .string(subnet.name), "tenant_id": .string(subnet.projectID),
            "project_id": .string(subnet.projectID), "network_id": .string(subnet.networkID),
            "ip_version": .int(subnet.ipVersion), "cidr": .string(subnet.cidr),
            "gateway_ip": .optional(subnet.gatewayIP),
            "allocation_pools": .array(
                subnet.allocationPools.map { ["start": .string($0.start), "end": .string($0.end)] }),
            "dns_nameservers": .array(subnet.dnsNameservers.map(JSON.string)),
            "host_routes": .array(
                subnet.hostRoutes.map { ["destination": .string($0.destination), "nexthop": .string($0.nexthop)] }),
            "enable_dhcp": .bool(subnet.enableDHCP), "ipv6_ra_mode": .optional(subnet.ipv6RAMode),
            "ipv6_address_mode": .optional(subnet.ipv6AddressMode), "subnetpool_id": .null, "segment_id": .null,
            "service_types": [],
        ]
        Self.appendStandard(subnet.standard, to: &json)
        return json
    }
}
