import APISupport
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

extension VolumeAPI {
    /// Validates a volume create body in Cinder's words and stores the new volume (`creating`); the worker
    /// makes its data.
    func createVolume(_ body: JSONObject, caller: Credentials) async throws -> Volume {
        let snapshotID = try CheckedInput.text(nonNull(body["snapshot_id"]), field: "snapshot_id", length: 1...255)
        let sourceID = try CheckedInput.text(nonNull(body["source_volid"]), field: "source_volid", length: 1...255)
        let imageRef = try CheckedInput.text(
            nonNull(body["imageRef"] ?? body["image_id"]), field: "imageRef", length: 1...255)
        if nonNull(body["backup_id"]) != nil {
            throw NovaError.invalidVolumeInput("Creating a volume from a backup is not supported by this cloud.")
        }
        guard [snapshotID, sourceID, imageRef].compactMap({ $0 }).count <= 1 else {
            throw NovaError.invalidVolumeInput(
                "Only one of snapshot_id, source_volid, imageRef and backup_id may be given.")
        }
        var size = try CheckedInput.integer(
            nonNull(body["size"]), field: "size", in: Int.min...CheckedInput.maxDatabaseInteger, allowString: true)
        if let given = size, given <= 0 {
            throw NovaError.invalidVolumeInput("'size' must be an integer greater than 0.")
        }
        var snapshot: VolumeSnapshot?
        var source: Volume?
        var image: VolumeImage?
        if let snapshotID { snapshot = try await visibleSnapshot(snapshotID, caller) }
        if let sourceID { source = try await visibleVolume(sourceID, caller) }
        if let imageRef { image = try await usableImage(imageRef, caller) }
        let minimum = snapshot?.size ?? source?.size ?? image.map(Self.imageMinimumGB) ?? 1
        guard let requested = size ?? (snapshot?.size ?? source?.size) else {
            throw NovaError.invalidVolumeInput("Size must be given: it is an integer greater than 0.")
        }
        size = requested
        if requested < minimum {
            let what = snapshot != nil ? "snapshot" : source != nil ? "source volume" : "image"
            throw NovaError.invalidVolumeInput(
                "Volume size \(requested)GB cannot be smaller than the \(what) size \(minimum)GB.")
        }
        if let snapshot, snapshot.status != SnapshotStatus.available {
            throw NovaError.invalidSnapshot("Originating snapshot status must be one of 'available' values")
        }
        if let source, ![VolumeStatus.available, VolumeStatus.inUse].contains(source.status) {
            throw NovaError.invalidVolume("Source volume status must be available or in-use, not \(source.status).")
        }
        let limits = try await store.quotaLimits(project: caller.projectID)
        if let perVolume = limits["per_volume_gigabytes"], perVolume >= 0, requested > perVolume {
            throw NovaError.invalidVolumeInput(
                "Requested volume size \(requested)G is larger than maximum allowed limit \(perVolume)G.")
        }
        let zone = try CheckedInput.text(
            nonNull(body["availability_zone"]), field: "availability_zone", length: 0...255)
        if let zone, !zone.isEmpty, zone != options.availabilityZone {
            throw NovaError.invalidVolumeInput("Availability zone '\(zone)' is invalid.")
        }
        let type = try await volumeType(named: nonNull(body["volume_type"])?.stringValue, caller: caller)
        let wantsMultiattach = try flag(body["multiattach"], field: "multiattach") ?? false
        let now = clock.now
        var volume = Volume(
            id: newID(), projectID: caller.projectID, userID: caller.userID,
            name: try text(body, "name") ?? text(body, "display_name") ?? "", size: requested,
            availabilityZone: options.availabilityZone, volumeTypeID: type.id, createdAt: now)
        volume.description = try text(body, "description") ?? text(body, "display_description") ?? ""
        volume.metadata = try metadata(body["metadata"]) ?? [:]
        volume.multiattach = type.allowsMultiattach || wantsMultiattach
        volume.snapshotID = snapshot?.id
        volume.sourceVolumeID = source?.id
        if let image {
            volume.imageID = image.id
            volume.imageMetadata = image.volumeMetadata
            volume.bootable = true
        }
        if let source {
            volume.bootable = source.bootable
            volume.imageMetadata = source.imageMetadata
        }
        if let snapshot, let origin = try await store.volume(id: snapshot.volumeID) {
            volume.bootable = origin.bootable
            volume.imageMetadata = origin.imageMetadata
        }
        volume = try await store.createVolume(volume)
        worker.wake()
        return volume
    }

    func nonNull(_ value: JSON?) -> JSON? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    /// The smallest volume an image fits in: its `min_disk`, and its size rounded up to GiB.
    static func imageMinimumGB(_ image: VolumeImage) -> Int {
        let gib = 1 << 30
        return max(image.minDisk, image.size / gib + (image.size % gib == 0 ? 0 : 1), 1)
    }

    func usableImage(_ id: String, _ caller: Credentials) async throws -> VolumeImage {
        guard let image = try await images.image(id: id, project: caller.isAdmin ? nil : caller.projectID) else {
            throw NovaError.invalidVolumeInput("Invalid image identifier or unable to access requested image.")
        }
        guard image.status == "active" else {
            throw NovaError.invalidVolumeInput("Image \(id) is not active.")
        }
        return image
    }

    func visibleSnapshot(_ id: String, _ caller: Credentials) async throws -> VolumeSnapshot {
        guard let snapshot = try await store.snapshot(id: id),
            caller.isAdmin || snapshot.projectID == caller.projectID
        else { throw NovaError.snapshotNotFound(id) }
        return snapshot
    }

    /// The type a request names (by name or id), else the configured default, else `__DEFAULT__`; a private
    /// type only for the projects it is shared with.
    func volumeType(named: String?, caller: Credentials) async throws -> VolumeType {
        let wanted = named ?? options.defaultVolumeType ?? VolumeType.defaultName
        guard let found = try await store.type(idOrName: wanted),
            found.type.isPublic || caller.isAdmin || found.projects.contains(caller.projectID)
        else { throw NovaError.volumeTypeNotFound(wanted) }
        return found.type
    }
}
