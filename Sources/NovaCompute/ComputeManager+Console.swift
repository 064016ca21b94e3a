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
        dispatcher.on("get_serial_console") { (request: InstanceRequest, _) in
            try await driver.serialConsole(request.instance)
        }
        dispatcher.on("validate_console_port") { (request: ConsolePortRequest, _) in
            let endpoint =
                request.consoleType == "serial"
                ? try? await driver.serialConsole(request.instance) : try? await driver.vncConsole(request.instance)
            return endpoint?.port == request.port
        }
    }

    static let crashDumpEvent = "compute_trigger_crash_dump"

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
