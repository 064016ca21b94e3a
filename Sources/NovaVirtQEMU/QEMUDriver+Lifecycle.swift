import Foundation
import NovaCore
import NovaVirt
import QMP

extension QEMUDriver {
    public func spawn(_ instance: Instance) async throws {
        let paths = paths(instance.uuid)
        try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
        do {
            if let root = instance.rootVolume {
                logger.info("spawning \(instance.uuid) from its root volume \(root.volumeID)")
                try noteRootVolume(root, paths)
            } else {
                logger.info("spawning \(instance.uuid): its disk over image \(instance.imageRef)")
                try await createOverlay(of: instance.imageRef, at: paths.disk, rootGB: instance.flavor.rootGB)
            }
            try await createLocalDisks(instance)
            try await launch(instance)
        } catch {
            await kill(instance.uuid)
            await unplug(instance)
            try? FileManager.default.removeItem(atPath: paths.directory)
            throw error
        }
    }

    public func destroy(_ instance: Instance) async throws {
        await kill(instance.uuid)
        await unplug(instance)
        try? FileManager.default.removeItem(atPath: paths(instance.uuid).qmpSocket)
        try? FileManager.default.removeItem(atPath: paths(instance.uuid).directory)
    }

    /// Soft: the ACPI power button, then a fresh start (hard after the timeout, as Nova falls back).
    /// Hard: `system_reset`, or a start when QEMU is not running.
    public func reboot(_ instance: Instance, hard: Bool) async throws {
        guard runningPID(instance.uuid) != nil, let client = connections[instance.uuid] else {
            if hard { return try await powerOn(instance) }
            throw NovaError.conflict("Instance \(instance.uuid) is not running.")
        }
        if hard {
            try await client.execute("system_reset")
            if try await status(client) == "paused" { try await client.execute("cont") }
            return
        }
        await shutdown(instance.uuid, timeout: config.shutdownTimeout)
        try await launch(instance)
    }

    public func powerOff(_ instance: Instance) async throws {
        try requireGuest(instance)
        await shutdown(instance.uuid, timeout: config.shutdownTimeout)
    }

    public func powerOn(_ instance: Instance) async throws {
        try requireGuest(instance)
        if runningPID(instance.uuid) != nil {
            if let client = connections[instance.uuid], try await status(client) == "paused" {
                try await client.execute("cont")
            }
            return
        }
        if FileManager.default.fileExists(atPath: paths(instance.uuid).savedState) {
            return try await resume(instance)
        }
        try await launch(instance)
    }

    public func pause(_ instance: Instance) async throws { try await client(instance).execute("stop") }
    public func unpause(_ instance: Instance) async throws { try await client(instance).execute("cont") }

    /// Nova's managed save: the guest's state goes to a file and QEMU ends; resume restores it.
    public func suspend(_ instance: Instance) async throws {
        let client = try client(instance)
        let paths = paths(instance.uuid)
        let partial = paths.savedState + ".partial"
        try await client.execute("stop")
        try await client.execute("migrate", ["uri": .string("exec:cat > \(Self.shellQuoted(partial))")])
        try await waitForMigration(client, instance.uuid)
        try FileManager.default.moveItem(atPath: partial, toPath: paths.savedState)
        await kill(instance.uuid)
    }

    public func resume(_ instance: Instance) async throws {
        let paths = paths(instance.uuid)
        guard FileManager.default.fileExists(atPath: paths.savedState) else {
            return try await unpause(instance)
        }
        try await launch(instance, incoming: true)
        let client = try client(instance)
        try await client.execute("migrate-incoming", ["uri": .string("exec:cat \(Self.shellQuoted(paths.savedState))")])
        let deadline = ContinuousClock.now + .seconds(300)
        while try await status(client) == "inmigrate", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await client.execute("cont")
        try? FileManager.default.removeItem(atPath: paths.savedState)
    }

    func waitForMigration(_ client: QMPClient, _ uuid: String) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let info = try await client.execute("query-migrate")
            switch info["status"]?.stringValue {
            case "completed": return
            case "failed", "cancelled":
                throw NovaError.internalError(
                    "Saving the state of \(uuid) failed: \(info["error-desc"]?.stringValue ?? "unknown error")")
            default: try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw NovaError.internalError("Saving the state of \(uuid) did not finish in time")
    }

    static func shellQuoted(_ path: String) -> String { "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    func status(_ client: QMPClient) async throws -> String {
        try await client.execute("query-status")["status"]?.stringValue ?? "unknown"
    }

    /// A guest booted from a volume is known on this host by the note of its root volume (it has no disk).
    func noteRootVolume(_ root: BlockDeviceMapping, _ paths: GuestPaths) throws {
        try Data(root.volumeID.utf8).write(to: URL(fileURLWithPath: paths.rootVolume))
    }

    func requireGuest(_ instance: Instance) throws {
        guard paths(instance.uuid).exist else {
            throw NovaError.notFound("Instance \(instance.uuid) could not be found on the hypervisor.")
        }
    }

    /// From QEMU: a running process answers query-status; no process is SHUTDOWN, or SUSPENDED when its
    /// state is saved; no folder is unknown (nil).
    public func powerState(of instance: Instance) async -> PowerState? {
        let paths = paths(instance.uuid)
        guard paths.exist else { return nil }
        guard runningPID(instance.uuid) != nil, let client = connections[instance.uuid],
            let status = try? await status(client)
        else {
            return FileManager.default.fileExists(atPath: paths.savedState) ? .suspended : .shutdown
        }
        switch status {
        case "running", "inmigrate", "postmigrate", "finish-migrate", "prelaunch": return .running
        case "paused", "suspended", "save-vm", "restore-vm", "debug", "watchdog", "colo": return .paused
        case "shutdown": return .shutdown
        case "internal-error", "io-error", "guest-panicked": return .crashed
        default: return .noState
        }
    }

    /// After a host reboot: guests that were running start again; a suspended one stays saved.
    public func resumeStateOnHostBoot(_ instance: Instance) async throws {
        guard instance.powerState == .running || instance.powerState == .paused else { return }
        guard runningPID(instance.uuid) == nil else { return }
        try requireGuest(instance)
        try await launch(instance)
        if instance.powerState == .paused { try await pause(instance) }
    }

    // MARK: - Consoles

    public func consoleOutput(_ instance: Instance) async throws -> [UInt8] {
        try requireGuest(instance)
        guard let handle = FileHandle(forReadingAtPath: paths(instance.uuid).console) else { return [] }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(
            toOffset: size > UInt64(ConsoleLimits.maxOutputBytes) ? size - UInt64(ConsoleLimits.maxOutputBytes) : 0)
        return Array(try handle.readToEnd() ?? Data())
    }

    public func vncConsole(_ instance: Instance) async throws -> ConsoleEndpoint {
        let vnc = try await client(instance).execute("query-vnc")
        guard vnc["enabled"]?.boolValue == true, let service = vnc["service"]?.stringValue, let port = Int(service)
        else { throw NovaError.conflict("Instance \(instance.uuid) has no VNC console.") }
        return ConsoleEndpoint(host: config.vncProxyClientAddress, port: port)
    }

    /// The guest's SPICE server (QMP's query-spice), when `[spice] enabled` gave it one.
    public func spiceConsole(_ instance: Instance) async throws -> ConsoleEndpoint {
        let spice = try await client(instance).execute("query-spice")
        guard let proxyClient = config.spice?.proxyClientAddress, spice["enabled"]?.boolValue == true,
            let port = spice["port"]?.intValue
        else { throw NovaError.badRequest("Unavailable console type spice-html5.") }
        return ConsoleEndpoint(host: proxyClient, port: port)
    }

    /// The serial port's TCP server, as QMP's query-chardev names it (`disconnected:tcp:HOST:PORT,server=on`).
    public func serialConsole(_ instance: Instance) async throws -> ConsoleEndpoint {
        let devices = try await client(instance).execute("query-chardev").arrayValue ?? []
        guard let filename = devices.first(where: { $0["label"]?.stringValue == "serial0" })?["filename"]?.stringValue,
            let tcp = filename.range(of: "tcp:"),
            let port = Int(filename[tcp.upperBound...].split(separator: ",")[0].split(separator: ":").last ?? "")
        else { throw NovaError.badRequest("Unavailable console type serial.") }
        return ConsoleEndpoint(host: config.serialProxyClientAddress, port: port)
    }
}

extension QEMUDriver {
    /// Nova's libvirt rescue: the guest stops hard and boots a fresh overlay of the rescue image, with its
    /// own disk attached second; unrescue removes the overlay and boots the guest's own disk again.
    public func rescue(_ instance: Instance) async throws {
        try requireGuest(instance)
        let paths = paths(instance.uuid)
        await kill(instance.uuid)
        try? FileManager.default.removeItem(atPath: paths.rescueDisk)
        try await createOverlay(of: instance.rescueImageRef ?? instance.imageRef, at: paths.rescueDisk, rootGB: 0)
        do {
            try await launch(instance)
        } catch {
            try? FileManager.default.removeItem(atPath: paths.rescueDisk)
            throw error
        }
    }

    public func unrescue(_ instance: Instance) async throws {
        try requireGuest(instance)
        await kill(instance.uuid)
        try? FileManager.default.removeItem(atPath: paths(instance.uuid).rescueDisk)
        try await launch(instance)
    }
}
