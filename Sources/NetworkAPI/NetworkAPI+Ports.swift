import APISupport
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    static let portAttributes: Set<String> = [
        "network_id", "name", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner",
        "binding:host_id", "binding:vnic_type", "binding:profile", "security_groups", "port_security_enabled",
        "allowed_address_pairs", "description", "tenant_id", "project_id",
    ]

    func registerPorts(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("ports") { request, context in
            let caller = try context.caller()
            let query = ListQuery(request.query)
            let ports = try await store.ports(
                ids: query.values("id"), networkIDs: query.values("network_id"), deviceIDs: query.values("device_id"),
                projectID: caller.isAdmin ? nil : caller.projectID)
            return Response.json(
                try query.respond(
                    ports.map { portView($0, caller: caller) }, collection: "ports",
                    path: "/\(Self.prefix)/v2.0/ports", baseURL: request.baseURL(fallback: "")))
        }
        v2.post("ports") { request, context in
            let caller = try context.caller()
            let body = try await body(request, context, resource: "port", allowed: Self.portAttributes)
            let port = try await createPort(body, caller: caller)
            return Response.json(["port": .object(portView(port, caller: caller))], status: 201)
        }
        v2.get("ports/{id}") { _, context in
            let caller = try context.caller()
            return Response.json([
                "port": .object(portView(try await ownedPort(context.parameter("id"), caller), caller: caller))
            ])
        }
        v2.put("ports/{id}") { request, context in
            let caller = try context.caller()
            let current = try await ownedPort(context.parameter("id"), caller)
            let body = try await body(request, context, resource: "port", allowed: Self.portAttributes)
            let port = try await updatePort(current, body: body, caller: caller)
            return Response.json(["port": .object(portView(port, caller: caller))])
        }
        v2.delete("ports/{id}") { _, context in
            let caller = try context.caller()
            let port = try await ownedPort(context.parameter("id"), caller)
            if [DeviceOwner.routerInterface, DeviceOwner.routerGateway, DeviceOwner.floatingIP].contains(
                port.deviceOwner)
            {
                throw NovaError(
                    NovaError.Code(status: 409, name: "ServicePortInUse"),
                    "Port \(port.id) cannot be deleted directly via the port API: has device owner \(port.deviceOwner)."
                )
            }
            let deleted = try await store.deletePort(id: port.id)
            try await notify(.deleted(.port(deleted)))
            return Response.empty(status: 204)
        }
    }

    func ownedPort(_ id: String, _ caller: Credentials) async throws -> NetworkPort {
        guard let port = try await store.port(id: id), caller.isAdmin || port.projectID == caller.projectID else {
            throw NovaError(.portNotFound, "Port \(id) could not be found.")
        }
        return port
    }

    func createPort(_ body: JSONObject, caller: Credentials) async throws -> NetworkPort {
        guard let networkID = body["network_id"]?.stringValue else {
            throw NovaError.badRequest("Failed to parse request. Required attribute 'network_id' not specified")
        }
        let network = try await visibleNetwork(networkID, caller)
        let ownsNetwork = caller.isAdmin || network.projectID == caller.projectID
        guard ownsNetwork || network.shared else { throw NovaError.policy("rule:create_port") }
        let project = try owner(body, caller, resource: "port")
        var mac = MACAddress.random()
        if let value = body["mac_address"] {
            guard ownsNetwork else { throw NovaError.policy("rule:create_port:mac_address") }
            guard let text = value.stringValue, let normalized = MACAddress.normalized(text) else {
                throw NovaError.invalidInput("'\(value.serialized().prefix(64))' is not a valid MAC address")
            }
            mac = normalized
        }
        var port = NetworkPort(
            id: newID(), projectID: project, networkID: network.id, macAddress: mac, createdAt: clock.now)
        port.portSecurityEnabled = network.portSecurityEnabled
        let addresses = try addressRequests(body["fixed_ips"])
        if addresses?.contains(where: { if case .exact = $0 { true } else { false } }) == true, !ownsNetwork {
            throw NovaError.policy("rule:create_port:fixed_ips:ip_address")
        }
        try await applyPortBody(body, to: &port, caller: caller, creating: true)
        if port.portSecurityEnabled, !port.isNetworkOwned, body["security_groups"] == nil {
            let (group, created) = try await store.defaultSecurityGroup(project: project, now: clock.now)
            if created { try await notify(.created(.securityGroup(group))) }
            port.securityGroups = [group.id]
        }
        // A host given at creation binds the port in the same write (ML2 binds within the create request).
        if !port.binding.hostID.isEmpty {
            let result = try await driver.bind(port, host: port.binding.hostID)
            port.binding.vifType = result?.vifType ?? "binding_failed"
            port.binding.vifDetails = result?.vifDetails ?? "{}"
            port.status = result?.activeOnBind == true && port.adminStateUp ? "ACTIVE" : "DOWN"
        }
        let stored = try await store.createPort(port, addresses: addresses, macGiven: body["mac_address"] != nil)
        try await notify(.created(.port(stored)))
        return stored
    }

    func updatePort(_ current: NetworkPort, body: JSONObject, caller: Credentials) async throws -> NetworkPort {
        if body["network_id"] != nil || body["tenant_id"] != nil || body["project_id"] != nil {
            throw NovaError.badRequest("Cannot update read-only attribute network_id, tenant_id or project_id")
        }
        if body["mac_address"] != nil {
            guard caller.isAdmin else { throw NovaError.policy("rule:update_port:mac_address") }
            guard current.binding.hostID.isEmpty else {
                throw NovaError(.conflict, "Port \(current.id) is bound: its MAC address cannot change.")
            }
        }
        let addresses = try addressRequests(body["fixed_ips"])
        var changed = current
        try await applyPortBody(body, to: &changed, caller: caller, creating: false)
        if let value = body["mac_address"] {
            guard let text = value.stringValue, let mac = MACAddress.normalized(text) else {
                throw NovaError.invalidInput("'\(value.serialized().prefix(64))' is not a valid MAC address")
            }
            changed.macAddress = mac
        }
        let wanted = changed
        let now = clock.now
        let apply: @Sendable (inout NetworkPort) -> Void = { port in
            let fixed = port.fixedIPs
            let binding = port.binding
            let status = port.status
            port = wanted
            port.fixedIPs = fixed
            port.binding.hostID = binding.hostID
            port.binding.vifType = binding.vifType
            port.binding.vifDetails = binding.vifDetails
            port.status = status
            port.standard.touch(now)
        }
        // A new host binds again; so does a bound port taken down or brought up (the driver decides its status).
        let moved = body["binding:host_id"] != nil && wanted.binding.hostID != current.binding.hostID
        let toggled = wanted.adminStateUp != current.adminStateUp && !wanted.binding.hostID.isEmpty
        if moved || toggled {
            return try await bind(current, host: wanted.binding.hostID, addresses: addresses, apply)
        }
        let (old, new) = try await store.updatePort(id: current.id, addresses: addresses, apply)
        try await notify(.updated(old: .port(old), new: .port(new)))
        return new
    }

    /// Binds the port to `host` through the mechanism driver (or unbinds it when `host` is empty) with the
    /// other changes of the request, and sets its status as the driver decides.
    func bind(
        _ port: NetworkPort, host: String, addresses: [AddressRequest]? = nil,
        _ changes: @escaping @Sendable (inout NetworkPort) -> Void
    ) async throws -> NetworkPort {
        let (decided, up) = host.isEmpty ? (PortBinding(), false) : (try await driverBinding(port, host: host))
        let (old, new) = try await store.updatePort(id: port.id, addresses: addresses) { port in
            changes(&port)
            port.binding.hostID = decided.hostID
            port.binding.vifType = decided.vifType
            port.binding.vifDetails = decided.vifDetails
            port.status = up && port.adminStateUp ? "ACTIVE" : "DOWN"
        }
        try await notify(.updated(old: .port(old), new: .port(new)))
        return new
    }

    /// What the mechanism driver makes of `port` on `host` ("binding_failed" when it cannot bind it), and
    /// whether the port is up at once.
    func driverBinding(_ port: NetworkPort, host: String) async throws -> (binding: PortBinding, up: Bool) {
        var binding = PortBinding()
        binding.hostID = host
        binding.vnicType = port.binding.vnicType
        binding.profile = port.binding.profile
        guard let result = try await driver.bind(port, host: host) else {
            binding.vifType = "binding_failed"
            return (binding, false)
        }
        binding.vifType = result.vifType
        binding.vifDetails = result.vifDetails
        return (binding, result.activeOnBind)
    }

    /// `fixed_ips` of a body as address requests (nil when absent).
    func addressRequests(_ value: JSON?) throws -> [AddressRequest]? {
        guard let value else { return nil }
        guard let list = value.arrayValue else { throw NovaError.invalidInput("fixed_ips must be a list") }
        return try list.map { entry in
            guard entry.objectValue != nil else { throw NovaError.invalidInput("a fixed_ips entry must be an object") }
            let subnet = try CheckedInput.text(entry["subnet_id"], field: "subnet_id", length: 1...64)
            if let ip = entry["ip_address"] {
                guard let text = ip.stringValue, IPAddress(text) != nil else {
                    throw NovaError.invalidInput("'\(ip.serialized().prefix(64))' is not a valid IP address")
                }
                return .exact(subnetID: subnet, ipAddress: IPAddress(text)!.description)
            }
            guard let subnet else {
                throw NovaError.invalidInput("a fixed_ips entry needs a subnet_id or an ip_address")
            }
            return .any(subnetID: subnet)
        }
    }

    /// Applies and checks the writable fields other than addresses and MAC.
    func applyPortBody(_ body: JSONObject, to port: inout NetworkPort, caller: Credentials, creating: Bool) async throws
    {
        if let name = try name(body) { port.name = name }
        if let description = try name(body, "description") { port.standard.description = description }
        if let up = try flag(body, "admin_state_up") { port.adminStateUp = up }
        if let device = try CheckedInput.text(body["device_id"], field: "device_id", length: 0...255) {
            port.deviceID = device
        }
        if let owner = try CheckedInput.text(body["device_owner"], field: "device_owner", length: 0...255) {
            if owner.hasPrefix("network:"), !caller.isAdmin { throw NovaError.policy("rule:create_port:device_owner") }
            port.deviceOwner = owner
        }
        if let host = try CheckedInput.text(body["binding:host_id"], field: "binding:host_id", length: 0...255) {
            guard caller.isAdmin || caller.hasRole("service") else {
                throw NovaError.policy("rule:create_port:binding:host_id")
            }
            port.binding.hostID = host
        }
        if let vnic = try CheckedInput.text(body["binding:vnic_type"], field: "binding:vnic_type", length: 1...64) {
            guard
                [
                    "normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder", "smart-nic",
                    "remote-managed",
                ].contains(vnic)
            else { throw NovaError.invalidInput("'\(vnic)' is not a valid vnic_type") }
            port.binding.vnicType = vnic
        }
        if let profile = body["binding:profile"] {
            guard caller.isAdmin || caller.hasRole("service") else {
                throw NovaError.policy("rule:create_port:binding:profile")
            }
            guard let object = profile.objectValue ?? (profile.isNull ? JSONObject() : nil) else {
                throw NovaError.invalidInput("binding:profile must be an object")
            }
            port.binding.profile = Dictionary(
                object.entries.map { ($0.0, $0.1.stringValue ?? $0.1.serialized()) }, uniquingKeysWith: { $1 })
        }
        if let security = try flag(body, "port_security_enabled") { port.portSecurityEnabled = security }
        if let value = body["security_groups"] {
            guard let list = value.arrayValue?.compactMap(\.stringValue), list.count == value.arrayValue?.count else {
                throw NovaError.invalidInput("security_groups must be a list of ids")
            }
            for id in list {
                guard let group = try await store.securityGroup(id: id),
                    caller.isAdmin || group.projectID == port.projectID
                else { throw NovaError(.securityGroupNotFound, "Security group \(id) does not exist") }
            }
            port.securityGroups = Array(Set(list)).sorted()
        }
        if let value = body["allowed_address_pairs"] {
            guard let list = value.arrayValue else {
                throw NovaError.invalidInput("allowed_address_pairs must be a list")
            }
            port.allowedAddressPairs = try list.map { pair in
                guard let ip = pair["ip_address"]?.stringValue, IPAddress(ip) != nil || IPNetwork(cidr: ip) != nil
                else { throw NovaError.invalidInput("an allowed address pair needs a valid ip_address") }
                var mac = port.macAddress
                if let given = pair["mac_address"] {
                    guard let text = given.stringValue, let normalized = MACAddress.normalized(text) else {
                        throw NovaError.invalidInput("'\(given.serialized().prefix(64))' is not a valid MAC address")
                    }
                    mac = normalized
                }
                return AddressPair(ipAddress: ip, macAddress: mac)
            }
        }
        if !port.portSecurityEnabled, !port.securityGroups.isEmpty {
            if body["port_security_enabled"] != nil, body["security_groups"] == nil, !creating {
                throw NovaError(
                    NovaError.Code(status: 409, name: "PortSecurityPortHasSecurityGroup"),
                    "Port has security group associated. Cannot disable port security or ip address until security group is removed"
                )
            }
            throw NovaError(
                NovaError.Code(status: 400, name: "PortSecurityAndIPRequiredForSecurityGroups"),
                "Port security must be enabled and port must have an IP address in order to use security groups.")
        }
        if !port.portSecurityEnabled, !port.allowedAddressPairs.isEmpty {
            throw NovaError(
                NovaError.Code(status: 409, name: "AddressPairAndPortSecurityRequired"),
                "Port Security must be enabled in order to have allowed address pairs on a port.")
        }
    }

    func portView(_ port: NetworkPort, caller: Credentials) -> JSONObject {
        var json: JSONObject = [
            "id": .string(port.id), "name": .string(port.name), "network_id": .string(port.networkID),
            "tenant_id": .string(port.projectID), "project_id": .string(port.projectID),
            "mac_address": .string(port.macAddress), "admin_state_up": .bool(port.adminStateUp),
            "status": .string(port.status), "device_id": .string(port.deviceID),
            "device_owner": .string(port.deviceOwner),
            "fixed_ips": .array(
                port.fixedIPs.map { ["subnet_id": .string($0.subnetID), "ip_address": .string($0.ipAddress)] }),
            "allowed_address_pairs": .array(
                port.allowedAddressPairs.map {
                    ["ip_address": .string($0.ipAddress), "mac_address": .string($0.macAddress)]
                }),
            "extra_dhcp_opts": [], "security_groups": .array(port.securityGroups.map(JSON.string)),
            "port_security_enabled": .bool(port.portSecurityEnabled),
            "binding:vnic_type": .string(port.binding.vnicType),
            "propagate_uplink_status": false,
        ]
        if caller.isAdmin || caller.hasRole("service") {
            json["binding:host_id"] = .string(port.binding.hostID)
            json["binding:vif_type"] = .string(port.binding.vifType)
            json["binding:vif_details"] = JSON.parse(Array(port.binding.vifDetails.utf8)) ?? [:]
            json["binding:profile"] = .object(
                JSONObject(port.binding.profile.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
        }
        Self.appendStandard(port.standard, to: &json)
        return json
    }
}
