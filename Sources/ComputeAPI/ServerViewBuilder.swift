import APISupport
import Foundation
import NovaCore
import Synchronization

/// Builds server bodies as Nova's views/servers.py does, each field from the microversion that added it.
struct ServerViewBuilder {
    let version: APIVersion
    let isAdmin: Bool
    /// `http://host/compute`.
    let base: String
    /// The image service's links root, `http://host/compute` (Nova links images under compute).
    let hostStatus: [String: String]

    func links(_ id: String) -> JSON {
        [
            ["rel": "self", "href": .string("\(base)/v2.1/servers/\(id)")],
            ["rel": "bookmark", "href": .string("\(base)/servers/\(id)")],
        ]
    }

    func summary(_ instance: Instance) -> JSON {
        ["id": .string(instance.uuid), "links": links(instance.uuid), "name": .string(instance.displayName)]
    }

    static func hostID(projectID: String, host: String?) -> String {
        guard let host, !host.isEmpty else { return "" }
        let key = projectID + host
        if let known = hostIDs.withLock({ $0[key] }) { return known }
        let id = SHA224.hex(key)
        hostIDs.withLock { known in
            if known.count >= 10_000 { known.removeAll(keepingCapacity: true) }
            known[key] = id
        }
        return id
    }

    /// hostIds already computed: a listing shows the same few hosts for many servers, and SHA-224 here is
    /// written in Swift.
    static let hostIDs = Mutex<[String: String]>([:])

    /// The full server body; `serverGroups` is what only show and update carry (server_groups at 2.71).
    func detail(_ instance: Instance, serverGroups: [String]? = nil) -> JSON {
        var json = JSONObject()
        let status = instance.status
        json.append("id", .string(instance.uuid))
        json.append("name", .string(instance.displayName))
        json.append("status", .string(status))
        json.append("tenant_id", .string(instance.projectID))
        json.append("user_id", .string(instance.userID))
        json.append("metadata", Self.stringMap(instance.metadata))
        json.append("hostId", .string(Self.hostID(projectID: instance.projectID, host: instance.host)))
        json.append("image", image(instance))
        json.append("flavor", flavor(instance.flavor))
        json.append("created", .string(Timestamp.iso(instance.createdAt)))
        json.append("updated", .string(Timestamp.iso(instance.updatedAt)))
        json.append("addresses", Self.addresses(instance.addresses ?? []))
        json.append("accessIPv4", .string(instance.accessIPv4))
        json.append("accessIPv6", .string(instance.accessIPv6))
        json.append("links", links(instance.uuid))
        json.append("OS-DCF:diskConfig", instance.autoDiskConfig == true ? "AUTO" : "MANUAL")
        if ServerStatus.showsProgress.contains(status) { json.append("progress", .int(instance.progress)) }
        if let fault = instance.fault, status == "ERROR" || status == "DELETED" {
            var faultJSON: JSONObject = [
                "code": .int(fault.code), "created": .string(Timestamp.iso(fault.created)),
                "message": .string(fault.message),
            ]
            if isAdmin || fault.code != 500 { faultJSON["details"] = .string(fault.details) }
            json.append("fault", .object(faultJSON))
        }
        json.append("OS-EXT-AZ:availability_zone", .string(instance.availabilityZone ?? ""))
        json.append("config_drive", .string(instance.configDrive))
        json.append("key_name", .optional(instance.keyName))
        json.append("OS-SRV-USG:launched_at", .optional(instance.launchedAt.map(Timestamp.naive)))
        json.append("OS-SRV-USG:terminated_at", .optional(instance.terminatedAt.map(Timestamp.naive)))
        // Nova lists the groups of the server's ports, and leaves the key out when there are none.
        if !(instance.securityGroups ?? ["default"]).isEmpty {
            json.append("security_groups", Self.securityGroups(instance))
        }
        json.append("OS-EXT-STS:task_state", .optional(instance.taskState?.rawValue))
        json.append("OS-EXT-STS:vm_state", .string(instance.vmState.rawValue))
        json.append("OS-EXT-STS:power_state", .int(instance.powerState.rawValue))
        json.append(
            "os-extended-volumes:volumes_attached",
            .array(
                (instance.blockDevices ?? []).filter { !$0.isPending }.map { device in
                    version >= APIVersion(2, 3)
                        ? ["id": .string(device.volumeID), "delete_on_termination": .bool(device.deleteOnTermination)]
                        : ["id": .string(device.volumeID)]
                }))
        if isAdmin {
            json.append("OS-EXT-SRV-ATTR:host", .optional(instance.host))
            json.append("OS-EXT-SRV-ATTR:instance_name", .string(instance.instanceName))
            json.append("OS-EXT-SRV-ATTR:hypervisor_hostname", .optional(instance.node))
            if version >= APIVersion(2, 3) {
                json.append("OS-EXT-SRV-ATTR:hostname", .string(instance.hostname))
                json.append("OS-EXT-SRV-ATTR:kernel_id", "")
                json.append("OS-EXT-SRV-ATTR:launch_index", .int(instance.launchIndex))
                json.append("OS-EXT-SRV-ATTR:ramdisk_id", "")
                json.append("OS-EXT-SRV-ATTR:reservation_id", .string(instance.reservationID))
                json.append("OS-EXT-SRV-ATTR:root_device_name", "/dev/vda")
                json.append("OS-EXT-SRV-ATTR:user_data", .optional(instance.userData))
            }
        } else if version >= APIVersion(2, 90) {
            json.append("OS-EXT-SRV-ATTR:hostname", .string(instance.hostname))
        }
        if version >= APIVersion(2, 9) { json.append("locked", .bool(instance.locked)) }
        if version >= APIVersion(2, 16), isAdmin {
            json.append("host_status", .string(instance.host.flatMap { hostStatus[$0] } ?? ""))
        }
        if version >= APIVersion(2, 19) { json.append("description", .optional(instance.description)) }
        if version >= APIVersion(2, 26) { json.append("tags", .array(instance.tags.map(JSON.string))) }
        if version >= APIVersion(2, 63) {
            json.append(
                "trusted_image_certificates",
                instance.trustedImageCertificates.map { JSON.array($0.map(JSON.string)) } ?? .null)
        }
        if version >= APIVersion(2, 71), let serverGroups {
            json.append("server_groups", .array(serverGroups.map(JSON.string)))
        }
        if version >= APIVersion(2, 73) { json.append("locked_reason", .optional(instance.lockedReason)) }
        if version >= APIVersion(2, 96) {
            json.append("pinned_availability_zone", .optional(instance.pinnedAvailabilityZone))
        }
        if version >= APIVersion(2, 100) {
            var hints = JSONObject()
            for (name, values) in (instance.schedulerHints ?? [:]).sorted(by: { $0.key < $1.key }) {
                hints.append(name, .array(values.map(JSON.string)))
            }
            json.append("scheduler_hints", .object(hints))
        }
        return .object(json)
    }

    /// `{id, links}`, with the image's standard properties as the server was built from them from 2.98; "" for
    /// a server booted from a volume.
    func image(_ instance: Instance) -> JSON {
        guard !instance.imageRef.isEmpty else { return "" }
        var image: JSONObject = [
            "id": .string(instance.imageRef),
            "links": [["rel": "bookmark", "href": .string("\(base)/images/\(instance.imageRef)")]],
        ]
        if version >= APIVersion(2, 98) {
            let properties = (instance.schedulingRequest?.imageProperties ?? [:]).filter {
                ImageMetaProperties.isStandard($0.key)
            }
            image.append("properties", Self.stringMap(properties))
        }
        return .object(image)
    }

    func flavor(_ flavor: Flavor) -> JSON {
        if version >= APIVersion(2, 47) {
            return [
                "vcpus": .int(flavor.vcpus), "ram": .int(flavor.memoryMB), "disk": .int(flavor.rootGB),
                "ephemeral": .int(flavor.ephemeralGB), "swap": .int(flavor.swapMB),
                "original_name": .string(flavor.name), "extra_specs": ComputeAPI.specsJSON(flavor.extraSpecs),
            ]
        }
        return [
            "id": .string(flavor.id),
            "links": [["rel": "bookmark", "href": .string("\(base)/flavors/\(flavor.id)")]],
        ]
    }

    /// The answer to PUT /servers/{id} and rebuild: before 2.75 Nova leaves out what its API extensions add
    /// to the show view (zone, config drive, key, usage, security groups, states, volumes, the admin's host
    /// attributes, address types); from 2.75 it is the show view.
    func changed(_ instance: Instance, serverGroups: [String]?) -> JSONObject {
        var json = detail(instance, serverGroups: serverGroups).objectValue ?? [:]
        guard version < APIVersion(2, 75) else { return json }
        for key in json.keys
        where Self.extensionPrefixes.contains(where: key.hasPrefix) || Self.extensionKeys.contains(key) {
            json[key] = nil
        }
        json["addresses"] = Self.addresses(instance.addresses ?? [], extended: false)
        return json
    }

    static let extensionPrefixes = [
        "OS-EXT-AZ:", "OS-SRV-USG:", "OS-EXT-STS:", "OS-EXT-SRV-ATTR:", "os-extended-volumes:",
    ]
    static let extensionKeys: Set<String> = ["config_drive", "key_name", "security_groups", "host_status"]

    /// `{network: [{version, addr, OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr}]}`: each fixed address, then the
    /// floating ones associated with it; without the type and MAC when not `extended`.
    static func addresses(_ addresses: [FixedAddress], extended: Bool = true) -> JSON {
        var object = JSONObject()
        for network in Set(addresses.map(\.network)).sorted() {
            var entries: [JSON] = []
            for address in addresses where address.network == network {
                entries.append(addressEntry(address.address, type: "fixed", mac: address.mac, extended: extended))
                for floating in address.floating ?? [] {
                    entries.append(addressEntry(floating, type: "floating", mac: address.mac, extended: extended))
                }
            }
            object.append(network, .array(entries))
        }
        return .object(object)
    }

    static func addressEntry(_ address: String, type: String, mac: String, extended: Bool = true) -> JSON {
        guard extended else { return ["version": address.contains(":") ? 6 : 4, "addr": .string(address)] }
        return [
            "version": address.contains(":") ? 6 : 4, "addr": .string(address), "OS-EXT-IPS:type": .string(type),
            "OS-EXT-IPS-MAC:mac_addr": .string(mac),
        ]
    }

    static func securityGroups(_ instance: Instance) -> JSON {
        .array((instance.securityGroups ?? ["default"]).map { ["name": .string($0)] })
    }

    static func stringMap(_ map: [String: String]) -> JSON {
        var object = JSONObject()
        for (key, value) in map.sorted(by: { $0.key < $1.key }) { object.append(key, .string(value)) }
        return .object(object)
    }
}
