import APISupport
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

extension VolumeActionCall {
    static let diskFormats: Set<String> = ["raw", "qcow2", "vmdk", "vdi", "vhd", "vhdx"]

    /// `os-volume-upload-image`: a new image of the volume's project, filled with the volume's data by the
    /// worker while the volume is `uploading`.
    func uploadImage() async throws -> Response {
        guard let name = try CheckedInput.text(argument["image_name"], field: "image_name", length: 1...255) else {
            throw NovaError.invalidVolumeInput("No image_name was specified in request.")
        }
        let diskFormat =
            try CheckedInput.text(argument["disk_format"], field: "disk_format", length: 1...32) ?? "raw"
        guard Self.diskFormats.contains(diskFormat) else {
            throw NovaError.invalidVolumeInput("Invalid disk-format '\(diskFormat)' is specified.")
        }
        let containerFormat =
            try CheckedInput.text(argument["container_format"], field: "container_format", length: 1...32) ?? "bare"
        let force = try api.flag(argument["force"], field: "force") ?? false
        let visibility =
            try CheckedInput.text(argument["visibility"], field: "visibility", length: 1...32) ?? "private"
        guard ["private", "public", "shared", "community"].contains(visibility) else {
            throw NovaError.invalidVolumeInput("Invalid visibility '\(visibility)'.")
        }
        guard volume.status == VolumeStatus.available || (force && volume.status == VolumeStatus.inUse) else {
            throw NovaError.invalidVolume(
                "Volume \(volume.id) status must be available or in-use, but current status is: \(volume.status).")
        }
        let properties = volume.imageMetadata.filter {
            !["image_id", "image_name", "size", "checksum", "disk_format", "container_format", "min_ram", "min_disk"]
                .contains($0.key)
        }
        let image = try await api.images.createImage(
            name: name, diskFormat: diskFormat, containerFormat: containerFormat, owner: volume.projectID,
            visibility: visibility, properties: properties)
        try await change { volume, _ in
            guard volume.status == VolumeStatus.available || (force && volume.status == VolumeStatus.inUse) else {
                throw NovaError.invalidVolume("Volume \(volume.id) status must be available or in-use.")
            }
            volume.statusBeforeUpload = volume.status
            volume.status = VolumeStatus.uploading
            volume.uploadImageID = image.id
            volume.uploadDiskFormat = diskFormat
        }
        api.worker.wake()
        let type = try await store.type(idOrName: volume.volumeTypeID)?.type
        let views = VolumeViews(caller: caller, version: version, baseURL: "")
        return Response.json(
            [
                "os-volume_upload_image": [
                    "id": .string(volume.id), "updated_at": VolumeViews.time(api.clock.now), "status": "uploading",
                    "display_description": .string(volume.description), "size": .int(volume.size),
                    "volume_type": type.map { .object(views.type($0)) } ?? .null, "image_id": .string(image.id),
                    "container_format": .string(containerFormat), "disk_format": .string(diskFormat),
                    "image_name": .string(name), "visibility": .string(visibility), "protected": false,
                ]
            ], status: 202)
    }
}
