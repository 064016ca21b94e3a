import Foundation
import NovaCore

extension NovaError.Code {
    /// Nova's VirtualInterfaceCreateException: a port did not come up in time.
    static let virtualInterfaceCreateFailed = Self(status: 500, name: "VirtualInterfaceCreateException")
}

/// A port a server has, and whether the user made it (it is unbound and kept when the server lets it go) or
/// Nova did (deleted).
struct AttachedPort: Sendable {
    var port: PortSummary
    var preexisting: Bool
}

extension ComputeManager {
    var deviceOwnerPrefix: String { "compute:" }

    /// allocate_for_instance: a port on each requested network (or the user's port), bound to this host,
    /// device_id the server. Ports an earlier attempt of the same build left (a reschedule, a lost build) are
    /// bound here again instead of made twice. On failure the ports made here are deleted again.
    func allocateNetworks(_ instance: Instance) async throws -> [AttachedPort] {
        guard let network, let requests = instance.networkRequests, !requests.isEmpty else { return [] }
        var leftover = try await network.ports(deviceID: instance.uuid)
        var bound: [AttachedPort] = []
        do {
            for request in requests {
                bound.append(try await allocatePort(request, for: instance, reusing: &leftover))
            }
        } catch {
            for made in bound where !made.preexisting { try? await network.deletePort(id: made.port.id) }
            throw error
        }
        return bound
    }

    /// One port for the server on this host: the user's, a leftover of an earlier attempt on the network, or
    /// a new one in the server's security groups.
    func allocatePort(_ request: NetworkRequest, for instance: Instance, reusing leftover: inout [PortSummary])
        async throws -> AttachedPort
    {
        guard let network else { throw NovaError.serviceUnavailable("No networking service is configured.") }
        let owner = deviceOwnerPrefix + (instance.availabilityZone ?? config.availabilityZone)
        if let portID = request.portID {
            leftover.removeAll { $0.id == portID }
            let port = try await network.bindPort(
                id: portID, deviceID: instance.uuid, deviceOwner: owner, host: config.host)
            return AttachedPort(port: port, preexisting: true)
        }
        guard let networkID = request.networkID else {
            throw NovaError.badRequest("A network request needs a network or a port.")
        }
        if let index = leftover.firstIndex(where: { port in
            port.networkID == networkID && (request.fixedIP.map(port.addresses.contains) ?? true)
        }) {
            let port = try await network.bindPort(
                id: leftover.remove(at: index).id, deviceID: instance.uuid, deviceOwner: owner, host: config.host)
            return AttachedPort(port: port, preexisting: false)
        }
        var groups: [String]?
        if let names = instance.securityGroups, names != ["default"] {
            let known = try await network.securityGroups(project: instance.projectID)
            groups = names.compactMap { name in known.first { $0.name == name || $0.id == name }?.id }
        }
        let port = try await network.createPort(
            networkID: networkID, project: instance.projectID, fixedIP: request.fixedIP, securityGroups: groups,
            deviceID: instance.uuid, deviceOwner: owner, host: config.host)
        return AttachedPort(port: port, preexisting: false)
    }

    /// The network info cache of these ports: each fixed IP with its network's name, the port's MAC and the
    /// floating IPs associated with it, in the ports' order. `newPorts`: ports Nova just made, which no
    /// floating IP can name yet (a build does not ask).
    func networkInfo(_ ports: [AttachedPort], instance: Instance, newPorts: Bool = false) async throws
        -> [FixedAddress]
    {
        guard let network, !ports.isEmpty else { return [] }
        var names: [String: String] = [:]
        for request in instance.networkRequests ?? [] {
            if let id = request.networkID, let name = request.networkName { names[id] = name }
        }
        let unnamed = Array(Set(ports.map(\.port.networkID)).subtracting(names.keys)).sorted()
        if !unnamed.isEmpty {
            for found in try await network.networks(ids: unnamed, project: instance.projectID) {
                names[found.id] = found.name
            }
        }
        let asked = newPorts ? ports.filter(\.preexisting) : ports
        let floating = try await network.floatingIPs(portIDs: asked.map(\.port.id))
        return ports.flatMap { entry in
            entry.port.addresses.map { address in
                var fixed = FixedAddress(
                    network: names[entry.port.networkID] ?? entry.port.networkID, address: address,
                    mac: entry.port.macAddress, portID: entry.port.id, preexisting: entry.preexisting)
                let associated = floating.filter { $0.portID == entry.port.id && $0.fixedAddress == address }
                if !associated.isEmpty { fixed.floating = associated.map(\.floatingAddress) }
                return fixed
            }
        }
    }

    /// _heal_instance_info_cache / network-changed: the server's addresses read again from its ports, in the
    /// order the cache had them. `given` adds ports the user just gave.
    @discardableResult
    func refreshNetworkInfo(_ uuid: String, given: Set<String> = [], context: RPCContext) async throws -> Instance? {
        await networkInfoLock.lock()
        do {
            let refreshed = try await readNetworkInfo(uuid, given: given, context: context)
            await networkInfoLock.unlock()
            return refreshed
        } catch {
            await networkInfoLock.unlock()
            throw error
        }
    }

    private func readNetworkInfo(_ uuid: String, given: Set<String>, context: RPCContext) async throws -> Instance? {
        guard let network else { return nil }
        guard let instance = try await conductor.instanceGet(uuid, context: context), !instance.isDeleted,
            instance.networkRequests != nil
        else { return nil }
        let preexisting = instance.userPortIDs.union(given)
        let order = (instance.addresses ?? []).compactMap(\.portID)
        let ports = try await network.ports(deviceID: uuid).sorted { first, second in
            (order.firstIndex(of: first.id) ?? Int.max) < (order.firstIndex(of: second.id) ?? Int.max)
        }
        let info = try await networkInfo(
            ports.map { AttachedPort(port: $0, preexisting: preexisting.contains($0.id)) }, instance: instance)
        let vifs = ports.map(GuestVIF.init)
        guard info != (instance.addresses ?? []) || vifs != (instance.vifs ?? []) else { return instance }
        var update = InstanceUpdate()
        update.addresses = info
        update.vifs = vifs
        return try await self.update(uuid, update, context)
    }

    /// Lets a port go: deleted when Nova made it, unbound when the user did.
    func releasePort(_ id: String, preexisting: Bool) async throws {
        guard let network else { return }
        if preexisting {
            try await network.unbindPort(id: id)
        } else {
            try await network.deletePort(id: id)
        }
    }

    /// deallocate_for_instance (`NetworkClient.deallocatePorts`), what failed logged.
    func deallocateNetworks(_ instance: Instance) async {
        guard let network, instance.networkRequests != nil else { return }
        for problem in await network.deallocatePorts(of: instance) { logger.warning("\(problem)") }
    }

    /// Waits, after `plug`, for `network-vif-plugged` of each port that was not ACTIVE yet (Nova's
    /// wait_for_instance_event around plugging the VIFs): nothing when all are up or the timeout is 0;
    /// throws when one failed or, with `vif_plugging_is_fatal`, when the timeout passed first.
    func plugWaitingForPorts(_ ports: [AttachedPort], of instance: Instance, plug: () async throws -> Void)
        async throws
    {
        let down = ports.filter { $0.port.status != "ACTIVE" }.map(\.port.id)
        guard let network, !down.isEmpty, config.vifPluggingTimeout > .zero else { return try await plug() }
        let keys = Set(down.map { ServerExternalEvent.vifPlugged + "-" + $0 })
        let stream = instanceEvents.prepare(instance.uuid, keys: keys)
        defer { instanceEvents.finish(instance.uuid) }
        // A port that came up between its binding and the line above sent its event to no one: read again.
        var waiting = keys
        for id in down where try await network.port(id: id)?.status == "ACTIVE" {
            waiting.remove(ServerExternalEvent.vifPlugged + "-" + id)
        }
        try await plug()
        switch await InstanceEventWaiters.wait(stream, for: waiting, timeout: config.vifPluggingTimeout) {
        case .arrived:
            return
        case .failed(let key):
            throw NovaError(.virtualInterfaceCreateFailed, "Virtual Interface creation failed: \(key) failed")
        case .timedOut(let left):
            let message = "Timeout waiting for \(left.sorted().joined(separator: ", ")) of \(instance.uuid)"
            guard config.vifPluggingIsFatal else { return logger.warning("\(message)") }
            throw NovaError(.virtualInterfaceCreateFailed, "Virtual Interface creation failed: \(message)")
        }
    }

    /// external_instance_event: a plugged port wakes the build waiting for it; a changed or deleted one
    /// refreshes the server's addresses; a grown volume grows the guest's disk.
    func handleExternalEvents(_ events: [ServerExternalEvent], context: RPCContext) async {
        var refresh: [String] = []
        for event in events {
            switch event.name {
            case ServerExternalEvent.vifPlugged:
                if !instanceEvents.deliver(event) {
                    logger.debug("no build waits for \(event.key) of \(event.serverUUID)")
                }
            case ServerExternalEvent.networkChanged, ServerExternalEvent.vifDeleted:
                if !refresh.contains(event.serverUUID) { refresh.append(event.serverUUID) }
            case ServerExternalEvent.volumeExtended:
                if let volumeID = event.tag {
                    await extendVolume(event.serverUUID, volumeID: volumeID, context: context)
                }
            default:
                logger.debug("server event \(event.key) of \(event.serverUUID)")
            }
        }
        for uuid in refresh {
            do {
                try await refreshNetworkInfo(uuid, context: context)
            } catch {
                logger.warning("the addresses of \(uuid) could not be read again: \(error)")
            }
        }
    }
}
