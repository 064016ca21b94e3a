import AsyncHTTPClient
import Foundation
import NIOCore
import NovaCore
import NovaVirt

/// The image service as a compute host in its own process sees it: Glance's v2 HTTP API, as Nova's
/// nova/image/glance.py uses it. Image data streams to and from files in chunks, never whole in memory.
public struct RemoteImageBackend: ImageBackend {
    let session: ServiceSession
    static let chunkSize = 1 << 20

    public init(session: ServiceSession) { self.session = session }

    func expect(_ response: ServiceResponse, _ what: String) throws -> JSON? {
        guard response.isSuccess else {
            throw NovaError(
                response.status == 404 ? .notFound : .serviceUnavailable, "\(what): \(response.errorMessage)")
        }
        return response.json
    }

    public func imageInfo(_ id: String) async throws -> GuestImageInfo {
        let image = try expect(try await session.send("image", .GET, "/v2/images/\(id)"), "Image \(id)")
        guard let image, image["status"]?.stringValue == "active" else {
            throw NovaError.notFound("Image \(id) could not be found or has no data.")
        }
        return GuestImageInfo(
            id: id, diskFormat: image["disk_format"]?.stringValue ?? "raw", size: image["size"]?.intValue ?? 0,
            md5: image["checksum"]?.stringValue)
    }

    public func download(_ id: String, to path: String) async throws {
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let file = FileHandle(forWritingAtPath: path)
        else { throw NovaError.internalError("cannot write \(path)") }
        defer { try? file.close() }
        try await session.stream("image", "/v2/images/\(id)/file") { chunk in
            try file.write(contentsOf: Data(chunk.readableBytesView))
        }
    }

    public func upload(_ id: String, from path: String, diskFormat: String) async throws {
        _ = try expect(
            try await session.send(
                "image", .PATCH, "/v2/images/\(id)",
                headers: [("Content-Type", "application/openstack-images-v2.1-json-patch")],
                body: .bytes(
                    ByteBuffer(
                        bytes: JSON.array([
                            ["op": "replace", "path": "/disk_format", "value": .string(diskFormat)]
                        ]).bytes()))), "Image \(id)")
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        _ = try expect(
            try await session.send(
                "image", .PUT, "/v2/images/\(id)/file", headers: [("Content-Type", "application/octet-stream")],
                body: .stream(FileChunks(path: path, chunkSize: Self.chunkSize), length: .known(size)),
                timeout: .seconds(3600)), "Upload of image \(id)")
    }

    public func delete(_ id: String) async throws {
        let response = try await session.send("image", .DELETE, "/v2/images/\(id)")
        guard response.isSuccess || response.status == 404 else {
            throw NovaError.serviceUnavailable("Deleting image \(id): \(response.errorMessage)")
        }
    }

    public func backups(instanceUUID: String, backupType: String) async throws -> [String] {
        var images: [JSON] = []
        var next: String? = "/v2/images?limit=500"
        while let path = next {
            let page = try expect(try await session.send("image", .GET, path), "Image list")
            images += page?["images"]?.arrayValue ?? []
            next = page?["next"]?.stringValue
        }
        return
            images
            .filter {
                $0["instance_uuid"]?.stringValue == instanceUUID && $0["image_type"]?.stringValue == "backup"
                    && $0["backup_type"]?.stringValue == backupType
            }
            .sorted {
                ($0["created_at"]?.stringValue ?? "", $0["id"]?.stringValue ?? "")
                    < ($1["created_at"]?.stringValue ?? "", $1["id"]?.stringValue ?? "")
            }
            .compactMap { $0["id"]?.stringValue }
    }
}

/// A file's bytes in chunks, read as the upload asks for them.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let chunkSize: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: FileHandle?
        let chunkSize: Int

        mutating func next() async throws -> ByteBuffer? {
            guard let file, let data = try file.read(upToCount: chunkSize), !data.isEmpty else {
                try? file?.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: FileHandle(forReadingAtPath: path), chunkSize: chunkSize)
    }
}
