import Foundation
import NIOHTTP1
import NovaCore
import VolumeCore

/// Glance over HTTP as the block-storage service uses it when it runs in a process of its own: images read
/// and written with the service's credentials, a caller's visibility checked on the image's own fields.
public struct RemoteVolumeImages: VolumeImageService {
    let session: ServiceSession
    let images: RemoteImageBackend

    public init(session: ServiceSession) {
        self.session = session
        images = RemoteImageBackend(session: session)
    }

    static func volumeImage(_ json: JSON) -> VolumeImage? {
        guard let id = json["id"]?.stringValue else { return nil }
        var properties: [String: String] = [:]
        for (key, value) in json.objectValue?.entries ?? [] where !GlanceImageCatalog.coreFields.contains(key) {
            properties[key] = value.stringValue ?? value.serialized()
        }
        return VolumeImage(
            id: id, name: json["name"]?.stringValue ?? "", status: json["status"]?.stringValue ?? "",
            diskFormat: json["disk_format"]?.stringValue ?? "raw",
            containerFormat: json["container_format"]?.stringValue ?? "bare", size: json["size"]?.intValue ?? 0,
            minDisk: json["min_disk"]?.intValue ?? 0, minRAM: json["min_ram"]?.intValue ?? 0,
            checksum: json["checksum"]?.stringValue, properties: properties)
    }

    public func image(id: String, project: String?) async throws -> VolumeImage? {
        let response = try await session.send("image", .GET, "/v2/images/\(PercentEncoding.encode(id))")
        guard response.isSuccess, let json = response.json else { return nil }
        let visibility = json["visibility"]?.stringValue ?? "private"
        let visible =
            project == nil || ["public", "community"].contains(visibility) || json["owner"]?.stringValue == project
        return visible ? Self.volumeImage(json) : nil
    }

    public func download(id: String, to path: String) async throws {
        try await images.download(id, to: path)
    }

    public func createImage(
        name: String, diskFormat: String, containerFormat: String, owner: String, visibility: String,
        properties: [String: String]
    ) async throws -> VolumeImage {
        var body: JSONObject = [
            "name": .string(name), "disk_format": .string(diskFormat), "container_format": .string(containerFormat),
            "visibility": .string(visibility), "owner": .string(owner),
        ]
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) where body[key] == nil {
            body[key] = .string(value)
        }
        let response = try await session.send("image", .POST, "/v2/images", json: .object(body))
        guard response.isSuccess, let json = response.json, let image = Self.volumeImage(json) else {
            throw NovaError.serviceUnavailable("The image service did not make the image: \(response.errorMessage)")
        }
        return image
    }

    public func upload(id: String, from path: String, diskFormat: String) async throws {
        try await images.upload(id, from: path, diskFormat: diskFormat)
    }
}
