import Foundation
import NovaCore
import SQLKit

extension ComputeStore {
    static let privateNetworkName = "private"

    /// Takes the lowest free address of the private network for the instance and records it on the instance,
    /// in one transaction (an instance keeps the address it already has).
    public func allocateFixedAddress(uuid: String) async throws -> Instance {
        let network = privateNetwork
        return try await database.write { sql in
            guard var instance = try await Self.load(uuid: uuid, in: sql), !instance.isDeleted else {
                throw NovaError.notFound("Instance \(uuid) could not be found.")
            }
            if let existing = instance.addresses, !existing.isEmpty { return instance }
            let used = Set(
                try await sql.raw(
                    "SELECT host_number FROM fixed_ips WHERE network = \(bind: Self.privateNetworkName) ORDER BY host_number"
                ).all().map { try $0.int("host_number") })
            guard let number = network.hostNumbers.first(where: { !used.contains($0) }) else {
                throw NovaError(
                    .serviceUnavailable, "No free address is left on network \(Self.privateNetworkName) (\(network)).")
            }
            let address = FixedAddress(
                network: Self.privateNetworkName, address: network.address(number), mac: Self.mac(number))
            try await sql.raw(
                """
                INSERT INTO fixed_ips (network, host_number, address, instance_uuid, mac)
                VALUES (\(bind: address.network), \(bind: number), \(bind: address.address), \(bind: uuid), \(bind: address.mac))
                """
            ).run()
            instance.addresses = [address]
            instance.updatedAt = Date()
            try await Self.save(instance, in: sql)
            return instance
        }
    }

    /// Nova's MAC prefix fa:16:3e with the host number in the last three bytes.
    static func mac(_ number: Int) -> String {
        let bytes = [0xfa, 0x16, 0x3e, (number >> 16) & 0xff, (number >> 8) & 0xff, number & 0xff]
        return bytes.map {
            let hex = String($0, radix: 16); return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    static func releaseFixedAddresses(uuid: String, in sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM fixed_ips WHERE instance_uuid = \(bind: uuid)").run()
    }

    /// Instances that still hold an address of the bookkeeping table (made before the networking service).
    public func instancesWithFixedAddresses() async throws -> [String] {
        try await database.read { sql in
            try await sql.raw("SELECT DISTINCT instance_uuid FROM fixed_ips ORDER BY instance_uuid").all().map {
                try $0.string("instance_uuid")
            }
        }
    }

    /// The instance's addresses now come from its ports on `network`: its network info cache and requested
    /// networks are set, and its rows of the bookkeeping table go, in one transaction.
    public func adoptPorts(uuid: String, network: NetworkRequest, addresses: [FixedAddress]) async throws {
        try await database.write(lockingOnly: ["instance:" + uuid]) { sql in
            if var instance = try await Self.load(uuid: uuid, in: sql), !instance.isDeleted {
                instance.networkRequests = [network]
                instance.addresses = addresses
                instance.updatedAt = Date()
                try await Self.save(instance, in: sql)
            }
            try await Self.releaseFixedAddresses(uuid: uuid, in: sql)
        }
    }
}
