import Foundation
import Logging
import NovaCore
import NovaDB

/// Servers made before the networking service kept their address in a bookkeeping table (`fixed_ips`, one
/// `private` network). On start each becomes a port on the `private` network with the same address and MAC,
/// bound to the server's host, and the server's addresses come from its port from then on. A start cut short
/// finds the port it made (by device) and finishes.
struct FixedAddressMigration {
    let store: ComputeStore
    let network: any NetworkClient
    let logger: Logger

    /// Moves what it can; a networking service that cannot be reached yet leaves the rest for the next start.
    func runLogged() async {
        do {
            try await run()
        } catch {
            logger.warning("the servers' old addresses could not all become ports yet: \(error)")
        }
    }

    func run() async throws {
        let pending = try await store.instancesWithFixedAddresses()
        guard !pending.isEmpty else { return }
        let user = NetworkUser.service
        let found = try await network.request(
            "GET", "/networks?name=private&sort_key=created_at&sort_dir=asc", body: nil, as: user)
        guard let privateNetwork = found?["networks"]?.arrayValue?.first,
            let networkID = privateNetwork["id"]?.stringValue
        else { return logger.warning("no private network to move \(pending.count) servers' addresses to") }
        let subnetID = privateNetwork["subnets"]?.arrayValue?.first?.stringValue
        let request = NetworkRequest(networkID: networkID, networkName: "private")
        for uuid in pending {
            guard let instance = try await store.instance(uuid: uuid), !instance.isDeleted,
                instance.networkRequests == nil, let legacy = instance.addresses?.first(where: { $0.portID == nil })
            else {
                try await store.adoptPorts(uuid: uuid, network: request, addresses: [])
                continue
            }
            var port = try await network.ports(deviceID: uuid).first
            if port == nil { port = try await makePort(instance, legacy, networkID, subnetID, user) }
            guard let port else { continue }
            let addresses = port.addresses.map {
                FixedAddress(network: "private", address: $0, mac: port.macAddress, portID: port.id, preexisting: false)
            }
            try await store.adoptPorts(uuid: uuid, network: request, addresses: addresses)
            logger.info("server \(uuid) keeps \(legacy.address) as port \(port.id)")
        }
    }

    /// The server's port with its old address and MAC, or (when another port took the address meanwhile)
    /// any address of the subnet.
    func makePort(
        _ instance: Instance, _ legacy: FixedAddress, _ networkID: String, _ subnetID: String?, _ user: NetworkUser
    )
        async throws -> PortSummary
    {
        var body: JSONObject = [
            "network_id": .string(networkID), "project_id": .string(instance.projectID),
            "mac_address": .string(legacy.mac), "device_id": .string(instance.uuid),
            "device_owner": .string("compute:" + (instance.availabilityZone ?? "nova")),
            "binding:host_id": .string(instance.host ?? ""),
        ]
        var exact = body
        exact["fixed_ips"] = [["subnet_id": .optional(subnetID), "ip_address": .string(legacy.address)]]
        let made: JSON?
        do {
            made = try await network.request("POST", "/ports", body: ["port": .object(exact)], as: user)
        } catch let error as NovaError where error.code.status == 409 || error.code.status == 400 {
            logger.warning("server \(instance.uuid) cannot keep \(legacy.address): \(error.message)")
            body["mac_address"] = nil
            made = try await network.request("POST", "/ports", body: ["port": .object(body)], as: user)
        }
        guard let id = made?["port"]?["id"]?.stringValue, let port = try await network.port(id: id) else {
            throw NovaError.serviceUnavailable("The networking service made no port for \(instance.uuid).")
        }
        return port
    }
}
