import Foundation
import NovaCore

extension ComputeManager {
    /// allocate_for_instance: a port on each requested network (or the user's port), bound to this host,
    /// device_id the server. Ports an earlier attempt of the same build left (a reschedule, a lost build) are
    /// bound here again instead of made twice. On failure the ports made here are deleted again.
    func allocateNetworks(_ instance: Instance) async throws -> [FixedAddress] {
        guard let network, let requests = instance.networkRequests, !requests.isEmpty else { return [] }
        let owner = "compute:" + (instance.availabilityZone ?? config.availabilityZone)
        var leftover = try await network.ports(deviceID: instance.uuid)
        var bound: [(port: PortSummary, preexisting: Bool)] = []
        do {
            for request in requests {
                if let portID = request.portID {
                    leftover.removeAll { $0.id == portID }
                    let port = try await network.bindPort(
                        id: portID, deviceID: instance.uuid, deviceOwner: owner, host: config.host)
                    bound.append((port, true))
                } else if let networkID = request.networkID {
                    if let index = leftover.firstIndex(where: { port in
                        port.networkID == networkID && (request.fixedIP.map(port.addresses.contains) ?? true)
                    }) {
                        let port = try await network.bindPort(
                            id: leftover.remove(at: index).id, deviceID: instance.uuid, deviceOwner: owner,
                            host: config.host)
                        bound.append((port, false))
                    } else {
                        let port = try await network.createPort(
                            networkID: networkID, project: instance.projectID, fixedIP: request.fixedIP,
                            deviceID: instance.uuid, deviceOwner: owner, host: config.host)
                        bound.append((port, false))
                    }
                }
            }
        } catch {
            for made in bound where !made.preexisting { try? await network.deletePort(id: made.port.id) }
            throw error
        }
        var names: [String: String] = [:]
        for request in requests { if let id = request.networkID, let name = request.networkName { names[id] = name } }
        let unnamed = Array(Set(bound.map(\.port.networkID)).subtracting(names.keys)).sorted()
        if !unnamed.isEmpty {
            for found in try await network.networks(ids: unnamed, project: instance.projectID) {
                names[found.id] = found.name
            }
        }
        return bound.flatMap { entry in
            entry.port.addresses.map { address in
                FixedAddress(
                    network: names[entry.port.networkID] ?? entry.port.networkID, address: address,
                    mac: entry.port.macAddress, portID: entry.port.id, preexisting: entry.preexisting)
            }
        }
    }

    /// deallocate_for_instance: the ports Nova made for the server are deleted, the ports the user gave are
    /// unbound and kept. A failure is logged: the server goes anyway, as in Nova.
    func deallocateNetworks(_ instance: Instance) async {
        guard let network, instance.networkRequests != nil else { return }
        let given = Set((instance.networkRequests ?? []).compactMap(\.portID))
        do {
            for port in try await network.ports(deviceID: instance.uuid) {
                if given.contains(port.id) {
                    try await network.unbindPort(id: port.id)
                } else {
                    try await network.deletePort(id: port.id)
                }
            }
        } catch {
            logger.warning("the ports of \(instance.uuid) could not all be released: \(error)")
        }
    }
}
