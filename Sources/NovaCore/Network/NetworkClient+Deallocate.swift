import Foundation

extension Instance {
    /// The ports the user gave the server (kept, unbound, when it goes), as opposed to those Nova made for it.
    public var userPortIDs: Set<String> {
        var given = Set((networkRequests ?? []).compactMap(\.portID))
        for address in addresses ?? [] where address.preexisting == true {
            if let port = address.portID { given.insert(port) }
        }
        return given
    }
}

extension NetworkClient {
    /// deallocate_for_instance: the ports Nova made for the server are deleted, the ports the user gave are
    /// unbound and kept. A delete and a build that gives up may release the same server's ports at the same
    /// time: a port already gone counts as released, every port is tried, and the list is read once more for a
    /// port made meanwhile. Returns what could not be done, for the caller to log: the server goes anyway, as
    /// in Nova.
    public func deallocatePorts(of instance: Instance) async -> [String] {
        let given = instance.userPortIDs
        var failed: Set<String> = []
        var problems: [String] = []
        for _ in 0..<2 {
            let ports: [PortSummary]
            do {
                ports = try await self.ports(deviceID: instance.uuid).filter { !failed.contains($0.id) }
            } catch {
                return problems + ["the ports of \(instance.uuid) could not be listed: \(error)"]
            }
            if ports.isEmpty { break }
            for port in ports {
                do {
                    if given.contains(port.id) {
                        try await unbindPort(id: port.id)
                    } else {
                        try await deletePort(id: port.id)
                    }
                } catch let error as NovaError where error.code.status == 404 {
                    continue
                } catch {
                    failed.insert(port.id)
                    problems.append("port \(port.id) of \(instance.uuid) could not be released: \(error)")
                }
            }
        }
        return problems
    }
}
