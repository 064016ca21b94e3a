import Foundation
import ImageService
import NovaCore
import NovaDB
import NovaVirt

/// The image service as a compute host of the all-in-one sees it: the same records and files, no HTTP.
struct LocalImageBackend: ImageBackend {
    let store: ImageStore
    let files: ImageFileStore

    func imageInfo(_ id: String) async throws -> GuestImageInfo {
        guard let image = try await store.image(id: id), image.status == "active" else {
            throw NovaError.notFound("Image \(id) could not be found or has no data.")
        }
        return GuestImageInfo(
            id: id, diskFormat: image.diskFormat ?? "raw", size: image.size ?? 0, md5: image.checksum)
    }

    func download(_ id: String, to path: String) async throws {
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: files.path(for: id), toPath: path)
    }

    func upload(_ id: String, from path: String, diskFormat: String) async throws {
        let written = try await files.write(id: id, fromFile: path)
        _ = try await store.update(id: id) { image in
            image.diskFormat = diskFormat
            image.recordUpload(written)
        }
    }

    func delete(_ id: String) async throws {
        try await store.delete(id: id)
        files.remove(id: id)
    }

    func backups(instanceUUID: String, backupType: String) async throws -> [String] {
        try await store.images().filter {
            $0.properties["instance_uuid"] == instanceUUID && $0.properties["image_type"] == "backup"
                && $0.properties["backup_type"] == backupType
        }
        .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        .map(\.id)
    }
}
