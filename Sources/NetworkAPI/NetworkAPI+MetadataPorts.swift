import Logging
import NetworkCore
import NovaCore
import NovaDB

extension NetworkAPI {
    /// The device id ML2/OVN gives a network's metadata port.
    public static func metadataDeviceID(_ networkID: String) -> String { "ovnmeta-" + networkID }

    /// Keeps the metadata port of each network in `networkIDs` (all when nil) as ML2/OVN does, when the
    /// mechanism driver wants them: a `network:distributed` port with an address on each IPv4 subnet that has
    /// DHCP, made with the first such subnet, given or relieved of addresses as subnets come and go, and
    /// deleted with the last. The driver hears of each change like any port's.
    public func ensureMetadataPorts(networkIDs: [String]? = nil) async throws {
        guard driver.wantsMetadataPorts else { return }
        let networks = try await store.networks(ids: networkIDs, visibleTo: nil)
        guard !networks.isEmpty else { return }
        let ids = networks.map(\.id)
        let subnets = try await store.subnets(ids: nil, networkIDs: ids)
        let existing = try await store.ports(networkIDs: ids, deviceIDs: ids.map(Self.metadataDeviceID))
        for network in networks {
            let wanted = subnets.filter { $0.networkID == network.id && $0.ipVersion == 4 && $0.enableDHCP }
            let port = existing.first { $0.networkID == network.id && $0.deviceOwner == DeviceOwner.distributed }
            try await reconcileMetadataPort(port, of: network, subnets: wanted.map(\.id))
        }
    }

    func reconcileMetadataPort(_ port: NetworkPort?, of network: Network, subnets: [String]) async throws {
        switch (port, subnets.isEmpty) {
        case (nil, true): return
        case (let port?, true):
            let deleted = try await store.deletePort(id: port.id)
            try await notify(.deleted(.port(deleted)))
        case (nil, false):
            var port = NetworkPort(
                id: newID(), projectID: network.projectID, networkID: network.id, macAddress: MACAddress.random(),
                createdAt: clock.now)
            port.deviceOwner = DeviceOwner.distributed
            port.deviceID = Self.metadataDeviceID(network.id)
            port.portSecurityEnabled = false
            let stored = try await store.createPort(
                port, addresses: subnets.map { .any(subnetID: $0) }, macGiven: false)
            try await notify(.created(.port(stored)))
        case (let port?, false):
            // Addresses it keeps stay as they are; a subnet it has none on gives it one.
            let kept = port.fixedIPs.filter { subnets.contains($0.subnetID) }
            let missing = subnets.filter { id in !kept.contains { $0.subnetID == id } }
            guard !missing.isEmpty || kept.count != port.fixedIPs.count else { return }
            let addresses: [AddressRequest] =
                kept.map { .exact(subnetID: $0.subnetID, ipAddress: $0.ipAddress) } + missing.map { .any(subnetID: $0) }
            let now = clock.now
            let (old, new) = try await store.updatePort(id: port.id, addresses: addresses) { port in
                port.standard.touch(now)
            }
            try await notify(.updated(old: .port(old), new: .port(new)))
        }
    }

    /// After a subnet's change: its network's metadata port follows, and a failure to adjust it is the
    /// driver's maintenance's to repair, not the subnet request's to fail.
    func subnetChanged(network networkID: String) async {
        do {
            try await ensureMetadataPorts(networkIDs: [networkID])
        } catch {
            Logger(label: "neutron").warning("the metadata port of network \(networkID) was not adjusted: \(error)")
        }
    }
}
