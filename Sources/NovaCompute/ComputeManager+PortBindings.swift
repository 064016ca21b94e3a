import Foundation
import NovaCore

/// Where a server's ports are bound follows the server (nova/network/neutron.py's port binding flow): a cold
/// move, revert, evacuation or unshelve binds them to the host the guest now runs on; a shelve offload
/// leaves them bound to none; a live migration makes INACTIVE bindings on the destination first and
/// activates them at the switch, so a failed one leaves the bindings where they were.
extension ComputeManager {
    /// _update_port_binding_for_instance: each port of the server bound to `host` ("" unbinds, keeping the
    /// port the server's).
    func bindPorts(_ instance: Instance, to host: String) async throws {
        guard let network, instance.networkRequests != nil else { return }
        for port in try await network.ports(deviceID: instance.uuid) where port.bindingHost != host {
            _ = try await network.bindPort(
                id: port.id, deviceID: instance.uuid, deviceOwner: port.deviceOwner, host: host)
        }
    }

    /// Before a live migration: an INACTIVE binding on `destination` for each bound port; the ports that got
    /// one (all made are deleted again when one fails).
    func prepareDestinationBindings(_ instance: Instance, destination: String) async throws -> [String] {
        guard let network, instance.networkRequests != nil else { return [] }
        var made: [String] = []
        do {
            for port in try await network.ports(deviceID: instance.uuid) where !port.bindingHost.isEmpty {
                try await network.createBinding(portID: port.id, host: destination)
                made.append(port.id)
            }
        } catch {
            await dropDestinationBindings(made, destination: destination)
            throw error
        }
        return made
    }

    /// At the switch (migrate_instance_start): the destination's bindings become active, the source's go.
    func activateDestinationBindings(_ ports: [String], destination: String, source: String) async throws {
        guard let network else { return }
        for port in ports {
            try await network.activateBinding(portID: port, host: destination)
            do {
                try await network.deleteBinding(portID: port, host: source)
            } catch let error as NovaError where error.code.status == 404 {}
        }
    }

    /// A live migration that did not happen: the destination's INACTIVE bindings are deleted.
    func dropDestinationBindings(_ ports: [String], destination: String) async {
        guard let network else { return }
        for port in ports {
            do {
                try await network.deleteBinding(portID: port, host: destination)
            } catch {
                logger.warning("the binding of port \(port) on \(destination) could not be deleted: \(error)")
            }
        }
    }
}
