import APISupport
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    static let networkAttributes: Set<String> = [
        "name", "admin_state_up", "shared", "router:external", "provider:network_type", "provider:physical_network",
        "provider:segmentation_id", "mtu", "port_security_enabled", "description", "tenant_id", "project_id",
        "availability_zone_hints",
    ]

    func registerNetworks(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("networks") { request, context in
            let caller = try context.caller()
            let query = ListQuery(request.query)
            let networks = try await store.networks(
                ids: query.values("id"), visibleTo: caller.isAdmin ? nil : caller.projectID)
            let subnets = try await store.subnets(networkIDs: networks.map(\.id))
            let views = networks.map { network in
                networkView(network, subnets: subnets.filter { $0.networkID == network.id }, caller: caller)
            }
            return Response.json(
                try query.respond(
                    views, collection: "networks", path: "/\(Self.prefix)/v2.0/networks",
                    baseURL: request.baseURL(fallback: "")))
        }
        v2.post("networks") { request, context in
            let caller = try context.caller()
            let body = try await body(request, context, resource: "network", allowed: Self.networkAttributes)
            var network = try newNetwork(body, caller: caller)
            network = try await store.createNetwork(network)
            try await notify(.created(.network(network)))
            return Response.json(["network": .object(networkView(network, subnets: [], caller: caller))], status: 201)
        }
        v2.get("networks/{id}") { _, context in
            let caller = try context.caller()
            let network = try await visibleNetwork(context.parameter("id"), caller)
            let subnets = try await store.subnets(networkIDs: [network.id])
            return Response.json(["network": .object(networkView(network, subnets: subnets, caller: caller))])
        }
        v2.put("networks/{id}") { request, context in
            let caller = try context.caller()
            let id = context.parameter("id")
            let current = try await visibleNetwork(id, caller)
            guard caller.isAdmin || current.projectID == caller.projectID else {
                throw NovaError.policy("rule:update_network")
            }
            let body = try await body(request, context, resource: "network", allowed: Self.networkAttributes)
            let changes = try networkChanges(body, caller: caller, current: current, updating: true)
            let now = clock.now
            let (old, new) = try await store.updateNetwork(id: id) { network in
                changes(&network)
                network.standard.touch(now)
            }
            try await notify(.updated(old: .network(old), new: .network(new)))
            let subnets = try await store.subnets(networkIDs: [id])
            return Response.json(["network": .object(networkView(new, subnets: subnets, caller: caller))])
        }
        v2.delete("networks/{id}") { _, context in
            let caller = try context.caller()
            let network = try await visibleNetwork(context.parameter("id"), caller)
            guard caller.isAdmin || network.projectID == caller.projectID else {
                throw NovaError.policy("rule:delete_network")
            }
            let deleted = try await store.deleteNetwork(id: network.id)
            try await notify(.deleted(.network(deleted)))
            return Response.empty(status: 204)
        }
    }

    func visibleNetwork(_ id: String, _ caller: Credentials) async throws -> Network {
        guard let network = try await store.network(id: id),
            caller.isAdmin || network.projectID == caller.projectID || network.shared || network.external
        else { throw NovaError(.networkNotFound, "Network \(id) could not be found.") }
        return network
    }

    func newNetwork(_ body: JSONObject, caller: Credentials) throws -> Network {
        let project = try owner(body, caller, resource: "network")
        let adminOnly = [
            "shared", "router:external", "provider:network_type", "provider:physical_network",
            "provider:segmentation_id",
        ]
        if !caller.isAdmin, let key = adminOnly.first(where: { body[$0] != nil && body[$0] != false }) {
            throw NovaError.policy("rule:create_network and rule:create_network:\(key)")
        }
        let segment = try segment(body)
        var network = Network(
            id: newID(), projectID: project, name: try name(body) ?? "", segment: segment,
            mtu: maximumMTU(segment.networkType), createdAt: clock.now)
        try networkChanges(body, caller: caller, current: network, updating: false)(&network)
        return network
    }

    /// The segment a create body asks for, checked against the configured types and ranges.
    func segment(_ body: JSONObject) throws -> Segment {
        let type =
            try CheckedInput.text(body["provider:network_type"], field: "provider:network_type", length: 1...64)
            ?? options.tenantNetworkType
        guard options.typeDrivers.contains(type) else {
            throw NovaError.invalidInput("network_type value '\(type)' not supported")
        }
        let physical = try CheckedInput.text(
            body["provider:physical_network"], field: "provider:physical_network", length: 1...64)
        let id = try CheckedInput.integer(
            body["provider:segmentation_id"], field: "provider:segmentation_id",
            in: 0...CheckedInput.maxDatabaseInteger,
            allowString: true, nullIsAbsent: true)
        switch type {
        case "flat":
            guard let physical, options.flatNetworks.contains(physical) || options.flatNetworks.contains("*") else {
                throw NovaError.invalidInput("physical_network '\(physical ?? "")' unknown for flat provider network")
            }
            guard id == nil else { throw NovaError.invalidInput("segmentation_id specified for flat provider network") }
        case "vlan":
            guard let physical, options.vlanRanges[physical] != nil else {
                throw NovaError.invalidInput("physical_network '\(physical ?? "")' unknown for VLAN provider network")
            }
            if let id, !(1...4094).contains(id) {
                throw NovaError.invalidInput("segmentation_id out of range (1 through 4094)")
            }
        case "geneve", "vxlan":
            guard physical == nil else {
                throw NovaError.invalidInput("provider:physical_network specified for \(type) network")
            }
            if let id, !(1...16_777_215).contains(id) {
                throw NovaError.invalidInput("segmentation_id out of range (1 through 16777215)")
            }
        default:
            guard physical == nil, id == nil else {
                throw NovaError.invalidInput("provider attributes specified for a local network")
            }
        }
        return Segment(networkType: type, physicalNetwork: physical, segmentationID: id)
    }

    func maximumMTU(_ networkType: String) -> Int {
        switch networkType {
        case "geneve": options.overlayMTU
        case "vxlan": options.physicalMTU - 50
        default: options.physicalMTU
        }
    }

    /// The changes a create or update body makes to a network, checked before anything is stored.
    func networkChanges(_ body: JSONObject, caller: Credentials, current: Network, updating: Bool) throws
        -> @Sendable (inout Network) -> Void
    {
        if updating, body.keys.contains(where: { $0.hasPrefix("provider:") || $0 == "project_id" || $0 == "tenant_id" })
        {
            throw NovaError.invalidInput("Plugin does not support updating provider attributes")
        }
        if !caller.isAdmin, body["shared"] != nil || body["router:external"] != nil {
            throw NovaError.policy("rule:update_network:shared")
        }
        let name = try self.name(body)
        let description = try self.name(body, "description")
        let adminStateUp = try flag(body, "admin_state_up")
        let shared = try flag(body, "shared")
        let external = try flag(body, "router:external")
        let portSecurity = try flag(body, "port_security_enabled")
        let limit = maximumMTU(current.segment.networkType)
        let mtu = try CheckedInput.integer(body["mtu"], field: "mtu", in: 68...CheckedInput.maxDatabaseInteger)
        if let mtu, mtu > limit {
            throw NovaError.invalidInput("Requested MTU is too big, maximum is \(limit)")
        }
        var hints: [String]?
        if let value = body["availability_zone_hints"] {
            guard let list = value.arrayValue?.compactMap(\.stringValue), list.count == value.arrayValue?.count else {
                throw NovaError.invalidInput("availability_zone_hints must be a list of strings")
            }
            hints = list
        }
        let zoneHints = hints
        return { network in
            if let name { network.name = name }
            if let description { network.standard.description = description }
            if let adminStateUp { network.adminStateUp = adminStateUp }
            if let shared { network.shared = shared }
            if let external { network.external = external }
            if let portSecurity { network.portSecurityEnabled = portSecurity }
            if let mtu { network.mtu = mtu }
            if let zoneHints { network.availabilityZoneHints = zoneHints }
        }
    }

    func networkView(_ network: Network, subnets: [Subnet], caller: Credentials) -> JSONObject {
        var json: JSONObject = [
            "id": .string(network.id), "name": .string(network.name), "tenant_id": .string(network.projectID),
            "project_id": .string(network.projectID), "admin_state_up": .bool(network.adminStateUp),
            "mtu": .int(network.mtu), "status": .string(network.status),
            "subnets": .array(subnets.map { .string($0.id) }), "shared": .bool(network.shared),
            "availability_zone_hints": .array(network.availabilityZoneHints.map(JSON.string)),
            "availability_zones": [], "ipv4_address_scope": .null, "ipv6_address_scope": .null,
            "router:external": .bool(network.external), "port_security_enabled": .bool(network.portSecurityEnabled),
            "l2_adjacency": true,
        ]
        if caller.isAdmin {
            json["provider:network_type"] = .string(network.segment.networkType)
            json["provider:physical_network"] = .optional(network.segment.physicalNetwork)
            json["provider:segmentation_id"] = .optional(network.segment.segmentationID)
        }
        Self.appendStandard(network.standard, to: &json)
        return json
    }

    static func appendStandard(_ standard: StandardAttributes, to json: inout JSONObject) {
        json["description"] = .string(standard.description)
        json["tags"] = []
        json["created_at"] = .string(Timestamp.iso(standard.createdAt))
        json["updated_at"] = .string(Timestamp.iso(standard.updatedAt))
        json["revision_number"] = .int(standard.revisionNumber)
    }
}
