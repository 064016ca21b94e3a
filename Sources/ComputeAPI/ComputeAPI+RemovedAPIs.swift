import APISupport
import Hummingbird
import NovaCore

/// The APIs Nova removed (nova-network, cells v1, cloudpipe, the agent builds, x509 certificates, the old
/// console service) still answer, as in Nova, 410 Gone for every method, to any authenticated caller.
extension ComputeAPI {
    static let removedPaths = [
        "os-agents", "os-agents/{id}",
        "os-cells", "os-cells/{id}", "os-cells/{id}/capacities", "os-cells/capacities", "os-cells/detail",
        "os-cells/info", "os-cells/sync",
        "os-certificates", "os-certificates/{id}",
        "os-cloudpipe", "os-cloudpipe/{id}",
        "os-fixed-ips/{id}", "os-fixed-ips/{id}/action",
        "os-floating-ip-dns", "os-floating-ip-dns/{domain}", "os-floating-ip-dns/{domain}/entries/{name}",
        "os-floating-ips-bulk", "os-floating-ips-bulk/{id}",
        "os-fping", "os-fping/{id}",
        "servers/{id}/consoles", "servers/{id}/consoles/{console}",
        "servers/{id}/os-virtual-interfaces",
    ]

    /// The server actions Nova removed with them (Nova answers 410 for these too).
    static let removedActions: Set<String> = ["resetNetwork", "os-getRDPConsole"]

    func registerRemovedAPIs(on v21: RouterGroup<NovaRequestContext>) {
        let gone: @Sendable (Request, NovaRequestContext) async throws -> Response = { _, context in
            _ = try context.caller()
            throw NovaError(.gone, "This resource is no longer available. No forwarding address is given.")
        }
        for path in Self.removedPaths {
            let route = RouterPath(stringLiteral: path)
            v21.get(route, use: gone)
            v21.post(route, use: gone)
            v21.put(route, use: gone)
            v21.delete(route, use: gone)
        }
    }
}
