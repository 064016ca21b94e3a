import Logging
import NetworkCore
import NovaCore

/// Neutron's nova notifier (`[nova]` in neutron.conf): what a stored change means to the servers whose ports
/// it touches, sent to Nova in the background, in order, batched while a send is under way. A lost event
/// costs a server nothing worse than Nova's own timeout, as in Neutron.
public actor NovaNotifier {
    let sink: any ServerEventSink
    let logger = Logger(label: "neutron.notifiers.nova")
    var queue: [ServerExternalEvent] = []
    var sending = false

    public init(sink: any ServerEventSink) { self.sink = sink }

    func enqueue(_ events: [ServerExternalEvent]) {
        guard !events.isEmpty else { return }
        queue.append(contentsOf: events)
        guard !sending else { return }
        sending = true
        Task { await drain() }
    }

    func drain() async {
        while !queue.isEmpty {
            let batch = queue
            queue = []
            do {
                try await sink.send(batch)
            } catch {
                logger.warning("Nova did not take \(batch.count) server events: \(error)")
            }
        }
        sending = false
    }

    /// Whether Nova owns the port's device (a server's port).
    static func isServerPort(_ port: NetworkPort) -> Bool {
        port.deviceOwner.hasPrefix("compute:") && !port.deviceID.isEmpty
    }

    /// The events of a port change: plugged when it goes ACTIVE, unplugged when it goes down on the same
    /// server, changed when its addresses change, deleted when it goes.
    static func events(of change: ResourceChange) -> [ServerExternalEvent] {
        switch change {
        case .created(.port(let port)) where isServerPort(port) && port.status == "ACTIVE":
            return [ServerExternalEvent(name: ServerExternalEvent.vifPlugged, serverUUID: port.deviceID, tag: port.id)]
        case .updated(.port(let old), .port(let new)):
            var events: [ServerExternalEvent] = []
            if isServerPort(new), old.status != "ACTIVE" || old.deviceID != new.deviceID, new.status == "ACTIVE" {
                events.append(
                    ServerExternalEvent(name: ServerExternalEvent.vifPlugged, serverUUID: new.deviceID, tag: new.id))
            }
            if isServerPort(old), old.deviceID == new.deviceID {
                if old.status == "ACTIVE", new.status != "ACTIVE" {
                    events.append(
                        ServerExternalEvent(
                            name: ServerExternalEvent.vifUnplugged, serverUUID: old.deviceID, tag: old.id))
                }
                if old.fixedIPs != new.fixedIPs || old.securityGroups != new.securityGroups {
                    events.append(
                        ServerExternalEvent(
                            name: ServerExternalEvent.networkChanged, serverUUID: old.deviceID, tag: old.id))
                }
            }
            return events
        case .deleted(.port(let port)) where isServerPort(port):
            return [ServerExternalEvent(name: ServerExternalEvent.vifDeleted, serverUUID: port.deviceID, tag: port.id)]
        default:
            return []
        }
    }

    /// The ports whose server sees a floating IP change (associated, moved or released).
    static func floatingPorts(of change: ResourceChange) -> [String] {
        switch change {
        case .created(.floatingIP(let floating)), .deleted(.floatingIP(let floating)):
            return floating.portID.map { [$0] } ?? []
        case .updated(.floatingIP(let old), .floatingIP(let new)):
            guard old.portID != new.portID || old.fixedIPAddress != new.fixedIPAddress else { return [] }
            return Array(Set([old.portID, new.portID].compactMap { $0 })).sorted()
        default:
            return []
        }
    }
}

extension NetworkAPI {
    /// Tells Nova what `change` means for its servers (nothing without a notifier).
    func notifyNova(_ change: ResourceChange) async throws {
        guard let nova else { return }
        var events = NovaNotifier.events(of: change)
        for portID in NovaNotifier.floatingPorts(of: change) {
            guard let port = try await store.port(id: portID), NovaNotifier.isServerPort(port) else { continue }
            events.append(
                ServerExternalEvent(name: ServerExternalEvent.networkChanged, serverUUID: port.deviceID, tag: port.id))
        }
        await nova.enqueue(events)
    }
}
