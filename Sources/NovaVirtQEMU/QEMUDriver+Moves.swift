import HostSystem
import Foundation
import NovaCore
import NovaVirt
import QMP

/// Moves of QEMU guests between compute hosts whose instances paths the destination can read (two hosts on
/// one machine, or a shared file system). Cold: the stopped source disk is flattened into the destination's
/// folder. Live: the destination QEMU waits on a TCP port; the source sends memory and the disk's overlay
/// (`migrate` with block migration over the same base image) while the guest runs.
extension QEMUDriver: MovingVirtDriver {
    // MARK: - Cold

    public func migrateDiskAndPowerOff(_ instance: Instance) async throws -> MoveTransfer {
        try requireGuest(instance)
        await shutdown(instance.uuid, timeout: config.shutdownTimeout)
        // A guest booted from a volume hands over no disk: its volumes follow it through the volume service.
        return MoveTransfer(diskPath: instance.isVolumeBacked ? nil : paths(instance.uuid).disk)
    }

    public func finishMigration(_ instance: Instance, transfer: MoveTransfer, powerOn: Bool) async throws {
        let paths = paths(instance.uuid)
        // The guest's own disk (or, booted from a volume, the note of it) is still here: the same host.
        let sameHost = instance.isVolumeBacked ? paths.exist : transfer.diskPath == paths.disk
        guard !sameHost else {
            throw NovaError.badRequest("The QEMU driver cannot resize \(instance.uuid) on its own host")
        }
        guard instance.isVolumeBacked || transfer.diskPath != nil else {
            throw NovaError.internalError("The move of \(instance.uuid) handed over no disk")
        }
        try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
        do {
            if let root = instance.rootVolume {
                try noteRootVolume(root, paths)
            } else if let source = transfer.diskPath {
                try await ProcessRunner.check(config.qemuImg, ["convert", "-q", "-O", "qcow2", source, paths.disk])
                if instance.flavor.rootGB > 0, try await virtualSize(paths.disk) < instance.flavor.rootGB << 30 {
                    try await ProcessRunner.check(
                        config.qemuImg, ["resize", "-q", paths.disk, "\(instance.flavor.rootGB)G"])
                }
            }
            // The ephemeral and swap disks come along from the source's folder.
            try await createLocalDisks(
                instance,
                copyingFrom: transfer.diskPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path })
            if powerOn { try await launch(instance) }
        } catch {
            await kill(instance.uuid)
            try? FileManager.default.removeItem(atPath: paths.directory)
            throw error
        }
    }

    public func confirmMigration(_ instance: Instance) async throws { try await destroy(instance) }

    public func revertMigrationAtDestination(_ instance: Instance) async throws { try await destroy(instance) }

    public func finishRevertMigration(_ instance: Instance, powerOn: Bool) async throws {
        try requireGuest(instance)
        if powerOn, runningPID(instance.uuid) == nil { try await launch(instance) }
    }

    func virtualSize(_ disk: String) async throws -> Int {
        let info = try await ProcessRunner.check(config.qemuImg, ["info", "--output=json", "-U", disk])
        let object = try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any]
        return (object?["virtual-size"] as? NSNumber)?.intValue ?? 0
    }

    // MARK: - Live

    /// An overlay on this host's copy of the same base image, and a QEMU listening for the guest on a port it
    /// chose (`migrate-incoming` on port 0, read back from `query-migrate`).
    public func preLiveMigration(_ instance: Instance, blockMigration: Bool) async throws -> LiveMigrationTarget {
        guard blockMigration || instance.isVolumeBacked else {
            throw NovaError.badRequest(
                "Live migration of \(instance.uuid) without block migration needs a shared instances path;"
                    + " the QEMU driver's is per host. Use block_migration true or auto.")
        }
        let paths = paths(instance.uuid)
        try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
        do {
            // A guest booted from a volume has no disk here: it reaches its volumes' exports from this host.
            if let root = instance.rootVolume {
                try noteRootVolume(root, paths)
            } else {
                try await createOverlay(of: instance.imageRef, at: paths.disk, rootGB: instance.flavor.rootGB)
            }
            try await createEmptyLocalDisks(instance)
            expectedExits.insert(instance.uuid)
            try await launch(instance, incoming: true)
            let client = try client(instance)
            try await client.execute("migrate-incoming", ["uri": .string("tcp:\(config.hostIP):0")])
            let info = try await client.execute("query-migrate")
            guard let address = info["socket-address"]?.arrayValue?.first, let port = address["port"]?.stringValue
            else { throw NovaError.internalError("QEMU did not say where it waits for \(instance.uuid)") }
            return LiveMigrationTarget(uri: "tcp:\(config.hostIP):\(port)")
        } catch {
            await kill(instance.uuid)
            try? FileManager.default.removeItem(atPath: paths.directory)
            throw error
        }
    }

    /// Sends the guest and reports QEMU's RAM figures until the destination has it; the guest runs here
    /// until the last round.
    public func liveMigrate(
        _ instance: Instance, to target: LiveMigrationTarget, blockMigration: Bool,
        progress: @Sendable @escaping (LiveMigrationProgress) async -> Void
    ) async throws {
        guard let uri = target.uri else { throw NovaError.internalError("No destination URI for \(instance.uuid)") }
        let client = try client(instance)
        // The pause at the end of the migration is not a lifecycle event of this instance.
        expectedExits.insert(instance.uuid)
        do {
            try await client.execute(
                "migrate", ["uri": .string(uri), "blk": .bool(blockMigration), "inc": .bool(blockMigration)])
            while true {
                let info = try await client.execute("query-migrate")
                if let ram = info["ram"] {
                    await progress(
                        LiveMigrationProgress(
                            memoryTotal: ram["total"]?.intValue ?? 0,
                            memoryProcessed: ram["transferred"]?.intValue ?? 0,
                            memoryRemaining: ram["remaining"]?.intValue ?? 0))
                }
                switch info["status"]?.stringValue {
                case "completed": return
                case "cancelled": throw LiveMigrationAborted()
                case "failed":
                    throw NovaError.internalError(
                        "Live migration of \(instance.uuid) failed: \(info["error-desc"]?.stringValue ?? "unknown")")
                default: try await Task.sleep(for: .milliseconds(200))
                }
            }
        } catch {
            expectedExits.remove(instance.uuid)
            if try await status(client) == "paused" { _ = try? await client.execute("cont") }
            throw error
        }
    }

    /// The guest arrived: it runs here (a force-completed migration paused it on the way).
    public func postLiveMigrationAtDestination(_ instance: Instance) async throws {
        expectedExits.remove(instance.uuid)
        let client = try client(instance)
        let deadline = ContinuousClock.now + .seconds(60)
        while try await status(client) == "inmigrate", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        if try await status(client) == "paused" { try await client.execute("cont") }
    }

    public func cleanupAfterLiveMigration(_ instance: Instance) async throws { try await destroy(instance) }

    public func rollbackLiveMigrationAtDestination(_ instance: Instance) async throws {
        try await destroy(instance)
    }

    public func abortLiveMigration(_ instance: Instance) async throws {
        try await client(instance).execute("migrate_cancel")
    }

    /// Nova's libvirt driver pauses the guest so the last rounds catch up with it.
    public func forceCompleteLiveMigration(_ instance: Instance) async throws {
        try await client(instance).execute("stop")
    }
}
