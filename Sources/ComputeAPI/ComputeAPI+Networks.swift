import Foundation
import NovaCore

extension ComputeAPI {
    /// The `networks` of a server create, checked and resolved as nova/network/neutron.py's
    /// validate_networks does: networks the project may use, ports of the project that no server has, "auto"
    /// as the project's one network (or get-me-a-network when it has none). Without a networking service the
    /// old answer stands: "auto" or "none", nothing else.
    func requestedNetworks(_ value: JSON?, version: APIVersion, caller: Credentials, count: Int) async throws
        -> [NetworkRequest]?
    {
        try Self.validateNetworks(value, version: version, networking: network != nil)
        guard let network else { return nil }
        if value?.stringValue == "none" { return [] }
        guard let list = value?.arrayValue else {
            // "auto" (2.37) or nothing (earlier): the project's one network.
            let available = try await network.networks(ids: nil, project: caller.projectID).filter(\.hasSubnets)
            if available.count > 1 {
                throw NovaError.conflict("Multiple possible networks found, use a Network ID to be more specific.")
            }
            if let only = available.first { return [NetworkRequest(networkID: only.id, networkName: only.name)] }
            guard value?.stringValue == "auto" else { return [] }
            do {
                let allocated = try await network.autoAllocatedNetwork(project: caller.projectID)
                return [NetworkRequest(networkID: allocated.id, networkName: allocated.name)]
            } catch let error as NovaError where error.code.status < 500 {
                throw NovaError.badRequest(
                    "Unable to automatically allocate a network for project \(caller.projectID): \(error.message)")
            }
        }
        var requests: [NetworkRequest] = []
        for entry in list {
            guard let object = entry.objectValue else {
                throw NovaError.badRequest("Invalid input for field/attribute networks. Each entry must be an object.")
            }
            if let unknown = object.keys.first(where: { !["uuid", "port", "fixed_ip", "tag"].contains($0) }) {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute networks. Additional properties are not allowed ('\(unknown)' was unexpected)"
                )
            }
            var request = NetworkRequest(
                networkID: try CheckedInput.text(object["uuid"], field: "uuid", length: 1...255),
                portID: try CheckedInput.text(object["port"], field: "port", length: 1...255),
                fixedIP: try CheckedInput.text(object["fixed_ip"], field: "fixed_ip", length: 1...64),
                tag: try CheckedInput.text(object["tag"], field: "tag", length: 1...60))
            if request.tag != nil, version < APIVersion(2, 32) {
                throw NovaError.badRequest("Invalid input for field/attribute networks. 'tag' was unexpected")
            }
            if let fixed = request.fixedIP, !Self.isIPAddress(fixed) {
                throw NovaError.badRequest("Invalid fixed IP address (\(fixed))")
            }
            if let portID = request.portID {
                guard request.fixedIP == nil else {
                    throw NovaError.badRequest("Specifying a port and a fixed IP address at once is not supported.")
                }
                guard count == 1 else {
                    throw NovaError.conflict(
                        "Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports."
                    )
                }
                guard let port = try await network.port(id: portID),
                    caller.isAdmin || port.projectID == caller.projectID
                else { throw NovaError.badRequest("Port \(portID) could not be found.") }
                guard port.deviceID.isEmpty else { throw NovaError.conflict("Port \(portID) is still in use.") }
                guard !port.addresses.isEmpty else {
                    throw NovaError.badRequest("Port \(portID) requires a FixedIP in order to be used.")
                }
                request.networkID = port.networkID
                request.networkName = try await network.networks(ids: [port.networkID], project: port.projectID)
                    .first?.name
            } else {
                guard let networkID = request.networkID else {
                    throw NovaError.badRequest("Bad networks format: each entry needs a uuid or a port")
                }
                guard
                    let found = try await network.networks(
                        ids: [networkID], project: caller.isAdmin ? nil : caller.projectID
                    ).first,
                    caller.isAdmin || found.projectID == caller.projectID || found.shared
                else { throw NovaError.badRequest("Network \(networkID) could not be found.") }
                guard found.hasSubnets else {
                    throw NovaError.badRequest(
                        "Network \(networkID) requires a subnet in order to boot instances on.")
                }
                request.networkName = found.name
            }
            requests.append(request)
        }
        let fixed = requests.compactMap(\.fixedIP)
        if !fixed.isEmpty, count > 1 {
            throw NovaError.badRequest("Unable to launch multiple instances with a fixed IP address each.")
        }
        return requests
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
