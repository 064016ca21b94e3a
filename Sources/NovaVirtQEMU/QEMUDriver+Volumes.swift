import Foundation
import HostSystem
import NovaCore
import QMP

/// Volumes as QEMU reaches them (its userspace NBD client, or the file on this machine): a `blockdev` per
/// volume, a virtio-blk device whose serial is the volume id (the guest's `/dev/disk/by-id/virtio-<id>`, 20
/// characters of it), hot-plugged into a running guest and on the command line of a guest that starts.
extension QEMUDriver {
    /// os-brick's properties, and this machine's id: a volume service on the same machine may hand over the file.
    public func volumeConnector() async -> JSONObject {
        var connector: JSONObject = [
            "host": .string(config.hypervisorHostname), "ip": .string(config.hostIP), "multipath": false,
            "platform": "x86_64", "os_type": "linux", "do_local_attach": false,
        ]
        if let machine = MachineIdentity.id { connector["machine_id"] = .string(machine) }
        return connector
    }

    public func attachVolume(_ instance: Instance, device: BlockDeviceMapping, connection: JSON) async throws {
        let node = try QEMUVolume(device: device, connection: connection)
        guard let client = connections[instance.uuid] else { return }
        do {
            try await client.execute("blockdev-add", node.blockdev)
            do {
                try await client.execute("device_add", node.device)
            } catch {
                _ = try? await client.execute("blockdev-del", ["node-name": .string(node.nodeName)])
                throw error
            }
        } catch {
            throw NovaError.internalError(
                "volume \(device.volumeID) could not be attached to \(instance.uuid): \(error)")
        }
    }

    /// The guest's disks from `query-block`: the volumes whose node a device reads.
    public func volumeIDs(of instance: Instance) async -> [String] {
        guard let client = connections[instance.uuid], let disks = try? await disks(client) else { return [] }
        return (instance.blockDevices ?? []).map(\.volumeID).filter { disks[QEMUVolume.nodeName($0)] != nil }
    }

    /// Each disk's node (a volume's `vol...`) and the device that reads it: a swapped volume's node is read by the
    /// device first made for another volume.
    func disks(_ client: QMPClient) async throws -> [String: String] {
        var disks: [String: String] = [:]
        for block in try await client.execute("query-block").arrayValue ?? [] {
            guard let node = block["inserted"]?["node-name"]?.stringValue, let device = block["qdev"]?.stringValue
            else { continue }
            // A device with an id is /machine/peripheral/<id>[/virtio-backend].
            let parts = device.split(separator: "/").map(String.init)
            let peripheral = parts.firstIndex(of: "peripheral").map { $0 + 1 }
            disks[node] = peripheral.flatMap { $0 < parts.count ? parts[$0] : nil } ?? device
        }
        return disks
    }

    public func detachVolume(_ instance: Instance, device: BlockDeviceMapping) async throws {
        guard let client = connections[instance.uuid] else { return }
        let node = QEMUVolume.nodeName(device.volumeID)
        let deviceID = (try? await disks(client))?[node] ?? QEMUVolume.deviceID(device.volumeID)
        try await unplug(deviceID, from: client, instance: instance, what: "volume \(device.volumeID)")
        _ = try? await client.execute("blockdev-del", ["node-name": .string(node)])
    }

    /// A mirror job copies the old volume onto the new one while the guest runs; once the copy is in step, the
    /// job's completion makes the guest's disk read and write the new volume, and the old node goes.
    public func swapVolume(_ instance: Instance, old: BlockDeviceMapping, new: BlockDeviceMapping, connection: JSON)
        async throws
    {
        let target = try QEMUVolume(device: new, connection: connection)
        guard let client = connections[instance.uuid], runningPID(instance.uuid) != nil else {
            throw NovaError.conflict("Instance \(instance.uuid) is not running: only a running guest swaps volumes.")
        }
        let source = QEMUVolume.nodeName(old.volumeID)
        let job = "swap" + QEMUVolume.short(new.volumeID)
        try await client.execute("blockdev-add", target.blockdev)
        do {
            try await client.execute(
                "blockdev-mirror",
                ["job-id": .string(job), "device": .string(source), "target": .string(target.nodeName), "sync": "full"])
            try await waitForJob(job, client) { $0["ready"]?.boolValue == true }
            try await client.execute("block-job-complete", ["device": .string(job)])
            try await waitForJob(job, client) { _ in false }
            guard try await disks(client)[target.nodeName] != nil else {
                throw NovaError.internalError("the mirror ended without the disk on the new volume")
            }
        } catch {
            _ = try? await client.execute("block-job-cancel", ["device": .string(job), "force": true])
            try? await waitForJob(job, client) { _ in false }
            _ = try? await client.execute("blockdev-del", ["node-name": .string(target.nodeName)])
            throw NovaError.internalError("volume \(old.volumeID) of \(instance.uuid) could not be swapped: \(error)")
        }
        _ = try? await client.execute("blockdev-del", ["node-name": .string(source)])
    }

    /// The guest's disk of a grown volume takes the new size (`block_resize` of its node: QEMU tells the guest
    /// through virtio-blk's configuration change). A local file grows at once; QEMU's NBD client cannot grow
    /// a disk, so a volume reached over NBD shows its new size when it is attached again.
    public func extendVolume(_ instance: Instance, device: BlockDeviceMapping, bytes: Int) async throws {
        guard let text = device.connectionInfo, let connection = JSON.parse(Array(text.utf8)) else {
            throw NovaError.internalError("volume \(device.volumeID) of \(instance.uuid) has no connection")
        }
        let volume = try QEMUVolume(device: device, connection: connection)
        guard let client = connections[instance.uuid], runningPID(instance.uuid) != nil else { return }
        guard case .file = volume.transport else {
            throw NovaError.internalError(
                "volume \(device.volumeID) is reached over NBD, whose client in QEMU cannot grow a disk: the guest "
                    + "sees its new size when the volume is attached again")
        }
        try await client.execute(
            "block_resize", ["node-name": .string(volume.nodeName), "size": .number(Double(bytes))])
    }

    /// Waits until the job satisfies `done`, or is gone (then it ended: an error if it failed).
    func waitForJob(_ job: String, _ client: QMPClient, until done: (QMPValue) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let jobs = try await client.execute("query-block-jobs").arrayValue ?? []
            guard let current = jobs.first(where: { $0["device"]?.stringValue == job }) else { return }
            if let error = current["error"]?.stringValue { throw NovaError.internalError(error) }
            if done(current) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NovaError.internalError("block job \(job) did not finish in time")
    }
}
