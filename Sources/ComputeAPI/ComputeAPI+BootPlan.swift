import Foundation
import NovaCore
import NovaDB

/// What a create boots from and which volumes its servers get: the image (a local root disk) or a root volume,
/// and the volumes of `block_device_mapping_v2`, checked against the image and volume services as Nova's
/// `_validate_bdm` does.
struct BootPlan {
    /// The server's image ("" for a server booted from a volume without `imageRef`).
    var imageRef: String
    /// The boot image's properties (for a root volume: the volume's image metadata), for the scheduler.
    var imageProperties: [String: String]
    /// The mappings of destination `volume`, checked, with sizes, type names and device names.
    var volumes: [BlockDeviceRequest]
    var volumeBacked: Bool { volumes.contains(where: \.isRoot) }
}

extension ComputeAPI {
    func bootPlan(_ spec: JSONObject, flavor: Flavor, caller: Credentials, version: APIVersion, maxCount: Int)
        async throws -> BootPlan
    {
        var requests = try BlockDeviceRequest.parse(spec, version: version)
        let given = spec["imageRef"]?.stringValue ?? ""
        let imageRef = given.split(separator: "/").last.map(String.init) ?? given
        // An image that defines mappings (the snapshot of a server booted from volumes) gives the server its
        // volumes, made of its snapshots, in place of an image root; the request's own mappings on other
        // devices are added.
        let explicitRoot = requests.first(where: \.isRoot)
        let bootImage =
            explicitRoot.map { $0.sourceType == "image" && $0.destinationType == "local" ? $0.uuid : nil }
            ?? imageRef
        var knownImage: ImageRecord?
        if let id = bootImage, !id.isEmpty, let image = try await visibleImage(id, caller) {
            knownImage = image
            let defined = try Self.imageDefinedMappings(image)
            if !defined.isEmpty {
                let devices = Set(defined.compactMap(\.deviceName))
                requests =
                    defined
                    + requests.filter { request in
                        !(request.isRoot && request.sourceType == "image")
                            && !devices.contains(request.deviceName ?? "")
                    }
            }
        }
        if let local = requests.first(where: { $0.destinationType == "local" && $0.sourceType == "blank" }) {
            throw BlockDeviceRequest.invalid(
                "local \(local.guestFormat == "swap" ? "swap" : "ephemeral") disks are not supported by this cloud yet; use a flavor's or a volume."
            )
        }
        var volumeRequests = requests.filter { $0.destinationType == "volume" }
        let rootRequest = requests.first(where: \.isRoot)
        // A mapping list without a root boots the image, as the legacy syntax and the clients have it.
        var bootIndexes = requests.compactMap { $0.isBootable ? $0.bootIndex : nil }
        if rootRequest == nil, !imageRef.isEmpty { bootIndexes.append(0) }
        guard !requests.isEmpty || !imageRef.isEmpty else {
            throw NovaError.badRequest("Missing imageRef attribute")
        }
        if !requests.isEmpty, bootIndexes.sorted() != Array(0..<bootIndexes.count) {
            throw BlockDeviceRequest.invalid(
                "Boot sequence for the instance and image/block device mapping combination is not valid.")
        }
        if !volumeRequests.isEmpty, volumes == nil {
            throw NovaError.badRequest("This cloud has no block-storage service: its servers cannot have volumes.")
        }
        if maxCount > 1, volumeRequests.contains(where: { $0.sourceType == "volume" }) {
            throw NovaError.badRequest("Cannot attach one or more volumes to multiple instances")
        }
        var plan = BootPlan(imageRef: imageRef, imageProperties: [:], volumes: [])
        if let rootRequest, rootRequest.destinationType == "volume" {
            plan.imageProperties = try await rootImageProperties(rootRequest, flavor: flavor, caller: caller)
        } else {
            let image = try await checkedImage(
                rootRequest?.uuid ?? imageRef, flavor: flavor, caller: caller, known: knownImage)
            plan.imageRef = image.id
            plan.imageProperties = Self.schedulingProperties(of: image)
        }
        for index in volumeRequests.indices {
            volumeRequests[index] = try await checkedVolume(volumeRequests[index], caller: caller)
        }
        plan.volumes = try Self.namedDevices(volumeRequests, volumeBacked: rootRequest?.destinationType == "volume")
        return plan
    }

    /// The image properties of a root volume to be: the image's (image -> volume, whose size must hold the
    /// image's min_disk), or the volume's image metadata (an existing volume, or the volume of a snapshot),
    /// which must be bootable.
    func rootImageProperties(_ root: BlockDeviceRequest, flavor: Flavor, caller: Credentials) async throws
        -> [String: String]
    {
        let id = root.uuid ?? ""
        switch root.sourceType {
        case "image":
            guard let image = try await visibleImage(id, caller) else {
                throw BlockDeviceRequest.invalid("failed to get image \(id).")
            }
            if image.minRAM > flavor.memoryMB {
                throw NovaError.badRequest("Flavor's memory is too small for requested image.")
            }
            if let size = root.volumeSize, image.minDisk > size {
                throw NovaError.badRequest(
                    "Volume is smaller than the minimum size specified in image metadata. Volume size is \(size.saturatingMultiply(1 << 30)) bytes, minimum size is \(image.minDisk.saturatingMultiply(1 << 30)) bytes."
                )
            }
            var properties = image.properties
            if let format = image.diskFormat { properties["disk_format"] = format }
            return properties
        case "snapshot":
            guard let snapshot = try await volumes?.snapshot(id: id, project: projectScope(caller)),
                let volume = try await volumes?.volume(id: snapshot.volumeID, project: nil)
            else { throw BlockDeviceRequest.invalid("failed to get snapshot \(id).") }
            guard volume.bootable else {
                throw NovaError.badRequest("Block Device \(snapshot.volumeID) is not bootable.")
            }
            return volume.imageMetadata
        case "volume":
            guard let volume = try await volumes?.volume(id: id, project: projectScope(caller)) else {
                throw BlockDeviceRequest.invalid("failed to get volume \(id).")
            }
            guard volume.bootable else { throw NovaError.badRequest("Block Device \(id) is not bootable.") }
            return volume.imageMetadata
        default:
            throw BlockDeviceRequest.invalid(
                "Boot sequence for the instance and image/block device mapping combination is not valid.")
        }
    }

    func projectScope(_ caller: Credentials) -> String? { caller.isAdmin ? nil : caller.projectID }

    func visibleImage(_ id: String, _ caller: Credentials) async throws -> ImageRecord? {
        guard let image = try await images.image(id: id, as: caller), image.status == "active" else {
            return nil
        }
        return image
    }

    /// One volume mapping checked as `_validate_bdm` does: the image, volume or snapshot exists for the caller,
    /// sizes are given where the volume is made, an existing volume is `available`; its type named.
    func checkedVolume(_ request: BlockDeviceRequest, caller: Credentials) async throws -> BlockDeviceRequest {
        guard let volumes else { throw NovaError.badRequest("This cloud has no block-storage service.") }
        var checked = request
        let id = request.uuid ?? ""
        if let type = request.volumeType {
            guard let name = try await volumes.volumeTypeName(type, project: caller.projectID) else {
                throw NovaError.badRequest("Volume type \(type) could not be found.")
            }
            checked.volumeType = name
        }
        switch request.sourceType {
        case "image":
            guard try await visibleImage(id, caller) != nil else {
                throw BlockDeviceRequest.invalid("failed to get image \(id).")
            }
            guard request.volumeSize != nil else {
                throw NovaError.badRequest(
                    "Block Device Mapping is Invalid: Images with destination_type 'volume' need to have a non-zero size specified"
                )
            }
        case "volume":
            guard let volume = try await volumes.volume(id: id, project: projectScope(caller)) else {
                throw BlockDeviceRequest.invalid("failed to get volume \(id).")
            }
            guard volume.status == "available" || (volume.multiattach && volume.status == "in-use") else {
                throw NovaError.badRequest(
                    "Invalid volume: volume '\(id)' status must be 'available'. Currently in '\(volume.status)'")
            }
            checked.volumeSize = volume.size
        case "snapshot":
            guard let snapshot = try await volumes.snapshot(id: id, project: projectScope(caller)) else {
                throw BlockDeviceRequest.invalid("failed to get snapshot \(id).")
            }
            checked.volumeSize = request.volumeSize ?? snapshot.size
        default:
            guard request.volumeSize != nil else {
                throw NovaError.badRequest(
                    "Block Device Mapping is Invalid: Blank volumes (source: 'blank', dest: 'volume') need to have non-zero size"
                )
            }
        }
        return checked
    }

    /// The guest's device names: `/dev/vda` for a root volume, the asked one (with `/dev/`) where it is free,
    /// else the next free one.
    static func namedDevices(_ requests: [BlockDeviceRequest], volumeBacked: Bool) throws -> [BlockDeviceRequest] {
        var used = ["/dev/vda"]
        var named: [BlockDeviceRequest] = []
        for var request in requests.sorted(by: { $0.isRoot && !$1.isRoot }) {
            if request.isRoot {
                request.deviceName = "/dev/vda"
            } else {
                let asked = request.deviceName.map { $0.hasPrefix("/dev/") ? $0 : "/dev/" + $0 }
                if !volumeBacked, asked == "/dev/vda" {
                    throw NovaError.badRequest(
                        "The volume cannot be assigned the same device name as the root device vda")
                }
                if let asked, !used.contains(asked) {
                    request.deviceName = asked
                } else {
                    guard let next = BlockDeviceMapping.nextDeviceName(used: used) else {
                        throw NovaError.badRequest("No free disk device names for prefix 'vd'")
                    }
                    request.deviceName = next
                }
            }
            used.append(request.deviceName ?? "")
            named.append(request)
        }
        return named
    }

    /// The mappings of one new server: existing volumes reserved for it (their attachments), the others to
    /// be made by its compute host. A refused reservation lets the earlier ones go.
    func blockDevices(_ plan: BootPlan, for uuid: String, at now: Date) async throws -> [BlockDeviceMapping] {
        var mappings: [BlockDeviceMapping] = []
        for request in plan.volumes {
            var mapping = BlockDeviceMapping(
                uuid: UUID().uuidString.lowercased(), volumeID: "", attachmentID: nil,
                deviceName: request.deviceName ?? "", bootIndex: request.isRoot ? 0 : nil,
                deleteOnTermination: request.deleteOnTermination, tag: request.tag, createdAt: now)
            mapping.sourceType = request.sourceType
            mapping.volumeSize = request.volumeSize
            mapping.volumeType = request.volumeType
            if request.sourceType == "volume", let volumeID = request.uuid, let volumes {
                mapping.volumeID = volumeID
                do {
                    mapping.attachmentID = try await volumes.reserveAttachment(volumeID: volumeID, instanceUUID: uuid)
                } catch let error as NovaError where error.code.status == 400 || error.code.status == 409 {
                    await releaseReservations(mappings)
                    throw NovaError.badRequest("Invalid volume: \(error.message)")
                }
            } else {
                mapping.sourceID = request.uuid
            }
            mappings.append(mapping)
        }
        return mappings
    }

    func releaseReservations(_ mappings: [BlockDeviceMapping]) async {
        for mapping in mappings {
            if let attachmentID = mapping.attachmentID { try? await volumes?.deleteAttachment(id: attachmentID) }
        }
    }
}
