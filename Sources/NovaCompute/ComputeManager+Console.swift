import NovaCore
import NovaVirt

extension ComputeManager {
    func addConsoleMethods(to dispatcher: inout RPCDispatcher) {
        dispatcher.on("get_console_output") { (request: ConsoleOutputRequest, _) in
            let output = try await driver.consoleOutput(request.instance)
            return ConsoleOutputReply(output: ConsoleLimits.tail(output, lines: request.length))
        }
        dispatcher.on("get_instance_diagnostics") { (request: InstanceRequest, _) in
            try await driver.diagnostics(request.instance)
        }
        dispatcher.on("trigger_crash_dump") { (request: InstanceRequest, context) in
            let instance = request.instance
            await event(instance, Self.crashDumpEvent, context)
            do {
                try await driver.injectNMI(instance)
                await event(instance, Self.crashDumpEvent, context, result: "Success")
            } catch {
                logger.warning("trigger_crash_dump of \(instance.uuid) failed: \(error)")
                await event(instance, Self.crashDumpEvent, context, result: "Error", traceback: "\(error)")
            }
            return RPCVoid()
        }
        dispatcher.on("get_vnc_console") { (request: InstanceRequest, _) in
            try await driver.vncConsole(request.instance)
        }
        dispatcher.on("cache_images") { (request: CacheImagesRequest, _) in
            for id in request.imageIDs {
                do {
                    try await driver.cacheImage(id)
                    logger.info("image \(id) is in this host's cache")
                } catch {
                    logger.warning("image \(id) could not be cached: \(error)")
                }
            }
            return RPCVoid()
        }
        dispatcher.on("set_admin_password") { (request: AdminPasswordRequest, context) in
            try await setAdminPassword(request.instance, password: request.password, context: context)
            return RPCVoid()
        }
        dispatcher.on("get_serial_console") { (request: InstanceRequest, _) in
            try await driver.serialConsole(request.instance)
        }
        dispatcher.on("get_spice_console") { (request: InstanceRequest, _) in
            try await driver.spiceConsole(request.instance)
        }
        dispatcher.on("validate_console_port") { (request: ConsolePortRequest, _) in
            let endpoint =
                switch request.consoleType {
                case "serial": try? await driver.serialConsole(request.instance)
                case "spice-html5", "spice-direct": try? await driver.spiceConsole(request.instance)
                default: try? await driver.vncConsole(request.instance)
                }
            return endpoint?.port == request.port
        }
    }

    static let crashDumpEvent = "compute_trigger_crash_dump"
    static let passwordEvent = "compute_set_admin_password"

    /// Nova's set_admin_password: only a running guest; the driver sets it (a guest agent); the task ends either
    /// way, and a failure goes back to the API (409 there).
    func setAdminPassword(_ instance: Instance, password: String, context: RPCContext) async throws {
        await event(instance, Self.passwordEvent, context)
        let done = InstanceUpdate(expectedTaskStates: [.updatingPassword], taskState: .some(nil))
        do {
            guard await driver.powerState(of: instance) == .running else {
                throw NovaError.conflict(
                    "Failed to set admin password on \(instance.uuid) because instance \(instance.uuid) is not running")
            }
            try await driver.setAdminPassword(instance, password: password)
        } catch {
            _ = try? await update(instance.uuid, done, context)
            await event(instance, Self.passwordEvent, context, result: "Error", traceback: "\(error)")
            throw error
        }
        _ = try await update(instance.uuid, done, context)
        await event(instance, Self.passwordEvent, context, result: "Success")
        logger.info("Admin password set", metadata: ["nova.instance": "\(instance.uuid)"])
    }

    /// Nova's handle_lifecycle_event: a guest that changed by itself (powered off, QEMU gone) is synced at
    /// once instead of at the next periodic sync.
    func handleLifecycleEvents() async {
        for await uuid in driver.lifecycleEvents {
            do {
                try await syncPowerStates()
            } catch {
                logger.warning("power-state sync after an event of \(uuid) failed: \(error)")
            }
        }
    }
}
