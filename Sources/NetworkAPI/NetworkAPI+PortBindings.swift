import APISupport
import Hummingbird
import NetworkCore
import NovaCore
import NovaDB

/// binding-extended: a port's bindings to several hosts, one ACTIVE and others INACTIVE, as Nova's live
/// migration uses them (a binding on the destination made ahead, activated at the switch, the source's then
/// deleted). Admins and services only, as Neutron's policy.
extension NetworkAPI {
    func registerPortBindings(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("ports/{id}/bindings") { _, context in
            let port = try await bindingPort(context)
            var bindings: [JSON] = []
            if !port.binding.hostID.isEmpty { bindings.append(bindingView(port.binding, active: true)) }
            bindings += (port.inactiveBindings ?? []).map { bindingView($0, active: false) }
            return Response.json(["bindings": .array(bindings)])
        }
        v2.post("ports/{id}/bindings") { request, context in
            let port = try await bindingPort(context)
            let body = try await body(request, context, resource: "binding", allowed: ["host", "vnic_type", "profile"])
            guard let host = try CheckedInput.text(body["host"], field: "host", length: 1...255) else {
                throw NovaError.invalidInput("a binding needs a host")
            }
            let (binding, active) = try await createBinding(port, host: host)
            return Response.json(["binding": bindingView(binding, active: active)], status: 201)
        }
        v2.put("ports/{id}/bindings/{host}/activate") { _, context in
            let port = try await bindingPort(context)
            let activated = try await activateBinding(port, host: context.parameter("host"))
            return Response.json(["binding": bindingView(activated.binding, active: true)])
        }
        v2.delete("ports/{id}/bindings/{host}") { _, context in
            try await deleteBinding(try await bindingPort(context), host: context.parameter("host"))
            return Response.empty(status: 204)
        }
    }

    /// A binding of `port` on `host`: INACTIVE beside the active one, or the active one of an unbound port.
    func createBinding(_ port: NetworkPort, host: String) async throws -> (PortBinding, active: Bool) {
        if port.binding.hostID == host || (port.inactiveBindings ?? []).contains(where: { $0.hostID == host }) {
            throw NovaError(.portBindingAlreadyExists, "Binding for port \(port.id) on host \(host) already exists.")
        }
        guard !port.binding.hostID.isEmpty else {
            // An unbound port's first binding is its active one, as a port update with binding:host_id.
            return (try await bind(port, host: host) { _ in }.binding, true)
        }
        let made = try await driverBinding(port, host: host).binding
        let (old, new) = try await store.updatePort(id: port.id) { stored in
            guard stored.binding.hostID != host, !(stored.inactiveBindings ?? []).contains(where: { $0.hostID == host })
            else {
                throw NovaError(
                    .portBindingAlreadyExists, "Binding for port \(stored.id) on host \(host) already exists.")
            }
            stored.inactiveBindings = (stored.inactiveBindings ?? []) + [made]
        }
        try await notify(.updated(old: .port(old), new: .port(new)))
        return (made, false)
    }

    /// The INACTIVE binding on `host` becomes the port's active one; the active one becomes INACTIVE.
    func activateBinding(_ port: NetworkPort, host: String) async throws -> NetworkPort {
        if port.binding.hostID == host {
            throw NovaError(
                .portBindingAlreadyActive, "Binding for port \(port.id) on host \(host) is already active.")
        }
        guard (port.inactiveBindings ?? []).contains(where: { $0.hostID == host }) else {
            throw NovaError(.portBindingNotFound, "Binding for port \(port.id) for host \(host) could not be found.")
        }
        return try await bind(port, host: host) { stored in
            var inactive = (stored.inactiveBindings ?? []).filter { $0.hostID != host }
            if !stored.binding.hostID.isEmpty { inactive.append(stored.binding) }
            stored.inactiveBindings = inactive.isEmpty ? nil : inactive
        }
    }

    /// Removes the binding on `host` (the active one leaves the port unbound).
    func deleteBinding(_ port: NetworkPort, host: String) async throws {
        if port.binding.hostID == host {
            _ = try await bind(port, host: "") { _ in }
            return
        }
        guard (port.inactiveBindings ?? []).contains(where: { $0.hostID == host }) else {
            throw NovaError(.portBindingNotFound, "Binding for port \(port.id) for host \(host) could not be found.")
        }
        let (old, new) = try await store.updatePort(id: port.id) { stored in
            let left = (stored.inactiveBindings ?? []).filter { $0.hostID != host }
            stored.inactiveBindings = left.isEmpty ? nil : left
        }
        try await notify(.updated(old: .port(old), new: .port(new)))
    }

    func bindingPort(_ context: NovaRequestContext) async throws -> NetworkPort {
        let caller = try context.caller()
        guard caller.isAdmin || caller.hasRole("service") else { throw NovaError.policy("rule:create_port_binding") }
        return try await ownedPort(context.parameter("id"), caller)
    }

    func bindingView(_ binding: PortBinding, active: Bool) -> JSON {
        [
            "host": .string(binding.hostID), "vif_type": .string(binding.vifType),
            "vif_details": JSON.parse(Array(binding.vifDetails.utf8)) ?? [:], "vnic_type": .string(binding.vnicType),
            "profile": .object(
                JSONObject(binding.profile.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
            "status": active ? "ACTIVE" : "INACTIVE",
        ]
    }
}
