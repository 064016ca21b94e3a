import Foundation
import ImageService
import NovaCore
import NovaDB
import VolumeCore

/// The image service as the block-storage service of the same process sees it: the same records and files.
struct LocalVolumeImages: VolumeImageService {
    let store: ImageStore
    let files: ImageFileStore
    let clock: any WallClock

    static func volumeImage(_ image: ImageRecord) -> VolumeImage {
        VolumeImage(
            id: image.id, name: image.name ?? "", status: image.status, diskFormat: image.diskFormat ?? "raw",
            containerFormat: image.containerFormat ?? "bare", size: image.size ?? 0, minDisk: image.minDisk,
            minRAM: image.minRAM, checksum: image.checksum, properties: image.properties)
    }

    func image(id: String, project: String?) async throws -> VolumeImage? {
        guard let image = try await store.image(id: id) else { return nil }
        let visible =
            project == nil || ["public", "community"].contains(image.visibility) || image.owner == project
        return visible ? Self.volumeImage(image) : nil
    }

    func download(id: String, to path: String) async throws {
        try await LocalImageBackend(store: store, files: files).download(id, to: path)
    }

    func createImage(
        name: String, diskFormat: String, containerFormat: String, owner: String, visibility: String,
        properties: [String: String]
    ) async throws -> VolumeImage {
        var image = ImageRecord(
            id: UUID().uuidString.lowercased(), name: name, owner: owner, visibility: visibility, createdAt: clock.now)
        image.diskFormat = diskFormat
        image.containerFormat = containerFormat
        image.properties = properties
        try await store.save(image)
        return Self.volumeImage(image)
    }

    func upload(id: String, from path: String, diskFormat: String) async throws {
        try await LocalImageBackend(store: store, files: files).upload(id, from: path, diskFormat: diskFormat)
    }
}
