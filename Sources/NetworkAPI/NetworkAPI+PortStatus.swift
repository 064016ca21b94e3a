import Logging
import NetworkCore

extension NetworkAPI: PortStatusSink {
    /// The data plane's word on a port's link: a bound port that is administratively up goes ACTIVE when
    /// its link is up and DOWN otherwise, and Nova hears of it (`network-vif-plugged` for a server's port).
    public func portLinkChanged(portID: String, up: Bool) async {
        do {
            guard try await store.port(id: portID) != nil else { return }
            let (old, new) = try await store.updatePort(id: portID) { port in
                let bound = !port.binding.hostID.isEmpty && port.binding.vifType != "binding_failed"
                port.status = up && bound && port.adminStateUp ? "ACTIVE" : "DOWN"
            }
            guard old.status != new.status else { return }
            try await notifyNova(.updated(old: .port(old), new: .port(new)))
        } catch {
            Logger(label: "neutron").warning("port \(portID) status not updated: \(error)")
        }
    }
}
