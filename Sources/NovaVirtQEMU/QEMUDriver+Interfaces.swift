import HostSystem
import NovaCore
import NovaVirt
import QMP

extension QEMUDriver {
    /// Hot-plugs a tap backend into the running guest (QMP `netdev_add`), plugs the tap into its bridge, then
    /// adds a virtio-net device with the port's MAC (`device_add`); undone if a step fails.
    public func attachInterface(_ instance: Instance, vif: GuestVIF) async throws {
        guard vif.type == "ovs" else { return }
        let client = try client(instance)
        let switchPorts = OVSPorts(connection: config.ovsdbConnection)
        let netdev = QEMUCommandLine.netdevID(vif)
        do {
            try await client.execute(
                "netdev_add",
                [
                    "type": "tap", "id": .string(netdev), "ifname": .string(vif.devname), "script": "no",
                    "downscript": "no",
                ])
            do {
                try await plug(vif, of: instance, into: switchPorts)
            } catch {
                _ = try? await client.execute("netdev_del", ["id": .string(netdev)])
                throw error
            }
            var device: [String: QMPValue] = [
                "driver": "virtio-net-pci", "netdev": .string(netdev), "id": .string(QEMUCommandLine.nicID(vif)),
                "mac": .string(vif.mac),
            ]
            if QEMUCommandLine.checksumsInGuest(vif) { device["csum"] = .bool(false) }
            do {
                try await client.execute("device_add", device)
            } catch {
                _ = try? await client.execute("netdev_del", ["id": .string(netdev)])
                throw error
            }
        } catch {
            try? await switchPorts.unplug(vif)
            throw NovaError.internalError("\(vif.devname) could not be plugged into \(instance.uuid): \(error)")
        }
    }

    /// Brings up the tap QEMU made (down) for the NIC, then plugs it into its bridge. In this order, as libvirt
    /// does: when Open vSwitch adds a device to its datapath it turns promiscuous mode on by writing back the
    /// flags it read when it opened the device, so a tap it opened while still down would be set down again
    /// (and the guest's NIC would never pass a packet).
    func plug(_ vif: GuestVIF, of instance: Instance, into switchPorts: OVSPorts) async throws {
        if !LinkState.bringUp(vif.devname) {
            logger.warning("\(vif.devname) of \(instance.uuid) could not be brought up")
        }
        try await switchPorts.plug(vif, instanceUUID: instance.uuid)
    }

    /// Asks the guest to let the NIC go (`device_del`), waits for QEMU's DEVICE_DELETED (the guest's ACPI
    /// eject), then removes its backend and its port on the bridge. A guest that is not running has nothing
    /// to unplug but its bridge port.
    public func detachInterface(_ instance: Instance, vif: GuestVIF) async throws {
        guard vif.type == "ovs" else { return }
        if let client = connections[instance.uuid] {
            try await unplug(QEMUCommandLine.nicID(vif), from: client, instance: instance, what: vif.devname)
            _ = try? await client.execute("netdev_del", ["id": .string(QEMUCommandLine.netdevID(vif))])
        }
        try await OVSPorts(connection: config.ovsdbConnection).unplug(vif)
    }

    /// Asks the guest to let a device go (`device_del`) and waits up to 30 s for QEMU's DEVICE_DELETED; a
    /// device QEMU does not have is already gone.
    func unplug(_ device: String, from client: QMPClient, instance: Instance, what: String) async throws {
        releasedDevices.remove(device)
        let deleted = Task { await self.deviceDeleted(device) }
        do {
            try await client.execute("device_del", ["id": .string(device)])
            let finished = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await deleted.value
                    return true
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(30))
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if !finished {
                forgetDeviceWaiters(device)
                throw NovaError.internalError("The guest \(instance.uuid) did not release \(what).")
            }
        } catch let error as QMPError {
            forgetDeviceWaiters(device)
            logger.info("device_del \(device) of \(instance.uuid): \(error)")
        }
    }

    func deviceDeleted(_ device: String) async {
        if releasedDevices.remove(device) != nil { return }
        await withCheckedContinuation { deletedDevices[device, default: []].append($0) }
    }

    func forgetDeviceWaiters(_ device: String) {
        for waiter in deletedDevices.removeValue(forKey: device) ?? [] { waiter.resume() }
    }
}
