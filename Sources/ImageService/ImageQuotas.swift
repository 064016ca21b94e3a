import Foundation
import NovaCore
import NovaDB

/// Each project's image limits (`[image_quota]`), named as Glance's unified limits are, and Glance's limits
/// on one image's members, properties and tags. -1 is unlimited. Over a limit, Glance's 413.
public struct ImageQuotas: Sendable {
    /// Images a project owns.
    public var imageCountTotal = -1
    /// MiB of image data a project's images hold.
    public var imageSizeTotal = -1
    /// MiB of data a project has staged for import.
    public var imageStageTotal = -1
    /// Images of a project being uploaded, staged or imported at once.
    public var imageCountUploading = -1
    public var membersPerImage = 128
    public var propertiesPerImage = 128
    public var tagsPerImage = 128

    public init() {}

    static let mebibyte = 1 << 20

    static func over(_ resource: String, limit: Int, usage: Int, delta: Int = 1) -> NovaError {
        NovaError(
            .overLimit,
            "Project is over a limit for [Resource \(resource) is over limit of \(limit) due to current usage \(usage) and delta \(delta)]"
        )
    }

    /// Before a new image: its project's count.
    func checkCreate(owner: String, store: ImageStore) async throws {
        guard imageCountTotal >= 0 else { return }
        let usage = try await store.usage(owner: owner)
        if usage.count >= imageCountTotal {
            throw Self.over("image_count_total", limit: imageCountTotal, usage: usage.count)
        }
    }

    /// Before data goes in (an upload or a stage): the uploads in progress, and the room left in bytes (nil:
    /// no bound) for what the request may write.
    func roomForData(owner: String, staging: Bool, store: ImageStore, stagedBytes: Int) async throws -> Int? {
        let usage = try await store.usage(owner: owner)
        if imageCountUploading >= 0, usage.uploading >= imageCountUploading {
            throw Self.over("image_count_uploading", limit: imageCountUploading, usage: usage.uploading)
        }
        let (limit, used, resource) =
            staging
            ? (imageStageTotal, stagedBytes, "image_stage_total") : (imageSizeTotal, usage.bytes, "image_size_total")
        guard limit >= 0 else { return nil }
        let (bound, overflow) = limit.multipliedReportingOverflow(by: Self.mebibyte)
        let room = (overflow ? Int.max : bound) - used
        if room <= 0 { throw Self.over(resource, limit: limit, usage: used / Self.mebibyte) }
        return room
    }

    /// One image's members, properties and tags against Glance's per-image limits.
    func checkImage(_ image: ImageRecord) throws {
        if image.properties.count > propertiesPerImage {
            throw NovaError(
                .overLimit,
                "The limit has been exceeded on the number of allowed image properties. Attempted: \(image.properties.count), Maximum: \(propertiesPerImage)"
            )
        }
        if image.tags.count > tagsPerImage {
            throw NovaError(
                .overLimit,
                "The limit has been exceeded on the number of allowed image tags. Attempted: \(image.tags.count), Maximum: \(tagsPerImage)"
            )
        }
    }

    func checkMembers(count: Int) throws {
        if count >= membersPerImage {
            throw NovaError(
                .overLimit,
                "The limit has been exceeded on the number of allowed image members for this image. Attempted: \(count + 1), Maximum: \(membersPerImage)"
            )
        }
    }
}

/// Chunks of a request body that stop (413) once they pass `room` bytes.
struct BoundedChunks<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == [UInt8] {
    typealias Element = [UInt8]
    let base: Base
    let room: Int?
    let resource: String

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let room: Int?
        let resource: String
        var written = 0

        mutating func next() async throws -> [UInt8]? {
            guard let chunk = try await base.next() else { return nil }
            written += chunk.count
            if let room, written > room {
                throw NovaError(.overLimit, "The data exceeds the project's \(resource) limit.")
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), room: room, resource: resource)
    }
}
