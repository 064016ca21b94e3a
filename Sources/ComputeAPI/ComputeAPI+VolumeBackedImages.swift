import APISupport
import Foundation
import HTTPTypes
import Hummingbird
import NovaCore
import NovaDB

/// Images of servers booted from volumes (compute API snapshot_volume_backed): a snapshot of each volume, made
/// as the user, and an image without data whose `block_device_mapping` names them; a server booted from that
/// image gets volumes made of the snapshots.
extension ComputeAPI {
    func createVolumeBackedImage(
        name: String, properties: [String: String], _ instance: Instance, _ request: Request,
        _ context: NovaRequestContext
    ) async throws -> Response {
        guard let volumes else { throw NovaError.badRequest("This cloud has no block-storage service.") }
        let caller = try context.caller()
        let user = NetworkUser(credentials: caller, token: request.headers[HTTPField.Name("X-Auth-Token")!] ?? "")
        let isAdmin = caller.isAdmin
        let current = try await store.mutateInstance(
            uuid: instance.uuid, action: actionRecord("createImage", instance, context)
        ) { current in
            try Self.checkSnapshotAllowed("createImage", current, isAdmin: isAdmin)
        }
        var mappings: [JSON] = []
        let devices = (current.blockDevices ?? []).filter { !$0.isPending }
        for device in devices.sorted(by: { ($0.bootIndex ?? Int.max) < ($1.bootIndex ?? Int.max) }) {
            let snapshot = try await cinder(
                volumes, "POST", "/snapshots",
                body: [
                    "snapshot": [
                        "volume_id": .string(device.volumeID), "force": true, "name": .string("snapshot for \(name)"),
                    ]
                ], as: user)["snapshot"]
            guard let snapshotID = snapshot?["id"]?.stringValue else {
                throw NovaError.serviceUnavailable("The volume service made no snapshot of \(device.volumeID).")
            }
            // checked: the volume service's answer (its snapshot's size), not a request's value
            mappings.append(Self.imageMapping(device, snapshotID: snapshotID, size: snapshot?["size"]?.intValue))
        }
        var image = snapshotImage(of: current, name: name, type: "snapshot", userID: caller.userID)
        image.properties.merge(properties) { standard, _ in standard }
        image.properties["block_device_mapping"] = JSON.array(mappings).serialized()
        image.properties["bdm_v2"] = "True"
        image.properties["root_device_name"] = "/dev/vda"
        // Nova activates it with no data (size 0, raw, bare): a server boots from its mappings.
        image.status = "active"
        image.size = 0
        image.diskFormat = "raw"
        image.minDisk = 0
        try await images.create(image, as: caller)
        if context.apiVersion >= APIVersion(2, 45) {
            return Response.json(["image_id": .string(image.id)], status: 202)
        }
        let location = request.baseURL(fallback: "") + "/image/v2/images/" + image.id
        return Response.empty(status: 202, headers: [.location: location])
    }

    /// A volume's mapping as an image keeps it (block_device.snapshot_from_bdm, get_image_mapping).
    static func imageMapping(_ device: BlockDeviceMapping, snapshotID: String, size: Int?) -> JSON {
        [
            "source_type": "snapshot", "destination_type": "volume", "snapshot_id": .string(snapshotID),
            "volume_size": size.map(JSON.int) ?? .null, "boot_index": device.bootIndex.map(JSON.int) ?? .null,
            "device_name": .string(device.deviceName), "delete_on_termination": .bool(device.deleteOnTermination),
            "tag": device.tag.map(JSON.string) ?? .null, "device_type": "disk", "disk_bus": "virtio",
            "guest_format": .null, "no_device": .null, "image_id": .null, "volume_id": .null,
            "volume_type": device.volumeType.map(JSON.string) ?? .null,
        ]
    }

    /// The mappings an image defines (a volume-backed server's snapshot: `bdm_v2` and `block_device_mapping`),
    /// checked as a request's are; none for an image with data.
    static func imageDefinedMappings(_ image: ImageRecord) throws -> [BlockDeviceRequest] {
        guard image.properties["bdm_v2"]?.lowercased() == "true", let text = image.properties["block_device_mapping"]
        else { return [] }
        guard let list = JSON.parse(Array(text.utf8))?.arrayValue else {
            throw BlockDeviceRequest.invalid("the image's block_device_mapping is not a list.")
        }
        var requests: [BlockDeviceRequest] = []
        for entry in list {
            guard var item = entry.objectValue else {
                throw BlockDeviceRequest.invalid("the image's block_device_mapping holds a non-object.")
            }
            if BlockDeviceRequest.isTrue(item["no_device"]) { continue }
            let source = item["source_type"]?.stringValue ?? ""
            if let id = item[source + "_id"], !id.isNull, item["uuid"] == nil { item["uuid"] = id }
            for key in ["snapshot_id", "volume_id", "image_id", "no_device", "tag", "volume_type"] {
                item[key] = nil
            }
            if let request = try BlockDeviceRequest.fromAPI(
                .object(item), keys: BlockDeviceRequest.v2Keys, imageGiven: true)
            {
                var kept = request
                if let tag = entry["tag"]?.stringValue { kept.tag = tag }
                requests.append(kept)
            }
        }
        return requests
    }
}
