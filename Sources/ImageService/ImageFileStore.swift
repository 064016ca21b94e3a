import Crypto
import Foundation
import NovaCore
import NovaDB

/// Image data as files under `<data-dir>/images`, one file per image named by its UUID.
///
/// A file name is only ever an image id in UUID form: the API checks ids, and this store refuses any other
/// name as well, so no id (`..`, `a/b`, a blank, a NUL) can reach another path.
public struct ImageFileStore: Sendable {
    public let directory: String

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // An upload that a crash interrupted left its partial file: no image refers to it.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasSuffix(".partial") {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Whether `id` is a UUID in its 36-character form, the only names this store uses.
    public static func isValidID(_ id: String) -> Bool {
        id.utf8.count == 36 && UUID(uuidString: id) != nil
    }

    /// The file of image `id`; throws (404) for an id that is not a UUID.
    public func path(for id: String) throws(NovaError) -> String {
        guard Self.isValidID(id) else { throw .notFound("No image found with ID \(id.prefix(64))") }
        return directory + "/" + id
    }

    public struct Written: Sendable {
        public var size: Int
        public var md5: String
        public var sha512: String
    }

    /// Streams `chunks` to the image's file, hashing as it goes; the file appears only when complete.
    public func write<S: AsyncSequence>(id: String, chunks: S) async throws -> Written where S.Element == [UInt8] {
        let final = try path(for: id)
        let partial = final + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: partial)
        else {
            throw NovaError.internalError("The image store could not write the data of image \(id).")
        }
        var md5 = Insecure.MD5()
        var sha512 = SHA512()
        var size = 0
        do {
            for try await chunk in chunks {
                md5.update(data: chunk)
                sha512.update(data: chunk)
                size += chunk.count
                try handle.write(contentsOf: chunk)
            }
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        do {
            _ = try? FileManager.default.removeItem(atPath: final)
            try FileManager.default.moveItem(atPath: partial, toPath: final)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        return Written(size: size, md5: Self.hex(md5.finalize()), sha512: Self.hex(sha512.finalize()))
    }

    /// Writes one in-memory image (the default image of a new cloud).
    public func write(id: String, bytes: [UInt8]) async throws -> Written {
        try await write(
            id: id,
            chunks: AsyncStream { continuation in
                continuation.yield(bytes)
                continuation.finish()
            })
    }

    /// Copies a file on this machine in as the image's data (a snapshot, the registered guest image).
    public func write(id: String, fromFile path: String) async throws -> Written {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw NovaError.internalError("The image store could not read the data for image \(id).")
        }
        defer { try? handle.close() }
        return try await write(
            id: id,
            chunks: AsyncThrowingStream<[UInt8], any Error> {
                guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
                return Array(data)
            })
    }

    public func remove(id: String) {
        guard let file = try? path(for: id) else { return }
        try? FileManager.default.removeItem(atPath: file)
    }

    static func hex(_ digest: some Digest) -> String {
        StableHash.hex(digest)
    }
}

extension ImageRecord {
    /// The image once its data is stored: active, with its size and checksums.
    public mutating func recordUpload(_ written: ImageFileStore.Written) {
        status = "active"
        size = written.size
        virtualSize = written.size
        checksum = written.md5
        hashAlgorithm = "sha512"
        hashValue = written.sha512
        if diskFormat == nil { diskFormat = "raw" }
        if containerFormat == nil { containerFormat = "bare" }
    }
}
