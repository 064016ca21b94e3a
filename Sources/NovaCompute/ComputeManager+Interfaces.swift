import Foundation
import NovaCore

extension ComputeManager {
    static let attachEvent = "compute_attach_interface"
    static let detachEvent = "compute_detach_interface"

    func addNetworkMethods(to dispatcher: inout RPCDispatcher) {
        dispatcher.on("external_instance_event") { (request: ExternalEventsRequest, context) in
            await handleExternalEvents(request.events, context: context)
            return RPCVoid()
        }
        dispatcher.on("attach_interface") { (request: InterfaceAttachRequest, context) in
            try await attachInterface(request.instance, request.request, context: context)
        }
        dispatcher.on("detach_interface") { (request: InterfaceDetachRequest, context) in
            await detachInterface(request.instance, portID: request.portID, context: context)
            return RPCVoid()
        }
    }

    /// attach_interface: the port is bound to this host (or made on the network), plugged, waited for, and
    /// the server's addresses read again. A port that cannot be plugged is let go again.
    func attachInterface(_ instance: Instance, _ request: NetworkRequest, context: RPCContext) async throws
        -> PortSummary
    {
        await event(instance, Self.attachEvent, context)
        var none: [PortSummary] = []
        let attached: AttachedPort
        do {
            attached = try await allocatePort(request, for: instance, reusing: &none)
        } catch {
            await event(instance, Self.attachEvent, context, result: "Error", traceback: "\(error)")
            throw error
        }
        do {
            try await plugWaitingForPorts([attached], of: instance) {
                try await driver.attachInterface(instance, vif: GuestVIF(attached.port))
            }
            try await refreshNetworkInfo(
                instance.uuid, given: attached.preexisting ? [attached.port.id] : [], context: context)
        } catch {
            try? await releasePort(attached.port.id, preexisting: attached.preexisting)
            await event(instance, Self.attachEvent, context, result: "Error", traceback: "\(error)")
            throw NovaError(
                .internalError, "Failed to attach network adapter device to \(instance.uuid): \(error)")
        }
        await event(instance, Self.attachEvent, context, result: "Success")
        return try await network?.port(id: attached.port.id) ?? attached.port
    }

    /// detach_interface: the port is unplugged and let go (deleted when Nova made it), then the server's
    /// addresses are read again.
    func detachInterface(_ instance: Instance, portID: String, context: RPCContext) async {
        await event(instance, Self.detachEvent, context)
        do {
            let current = try await conductor.instanceGet(instance.uuid, context: context) ?? instance
            if let vif = current.vifs?.first(where: { $0.portID == portID }) {
                try await driver.detachInterface(current, vif: vif)
            }
            try await releasePort(portID, preexisting: current.userPortIDs.contains(portID))
            try await refreshNetworkInfo(instance.uuid, context: context)
            await event(instance, Self.detachEvent, context, result: "Success")
        } catch {
            logger.warning("port \(portID) could not be detached from \(instance.uuid): \(error)")
            await event(instance, Self.detachEvent, context, result: "Error", traceback: "\(error)")
        }
    }
}
