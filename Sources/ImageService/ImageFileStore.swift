import Crypto
import Foundation
import NovaCore
import NovaDB

/// Image data as files under `<data-dir>/images`.
public struct ImageFileStore: Sendable {
    public let directory: String

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    public func path(for id: String) -> String { directory + "/" + id }

    public struct Written: Sendable {
        public var size: Int
        public var md5: String
        public var sha512: String
    }

    /// Streams `chunks` to the image's file, hashing as it goes; the file appears only when complete.
    public func write<S: AsyncSequence>(id: String, chunks: S) async throws -> Written where S.Element == [UInt8] {
        let partial = path(for: id) + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil),
            let handle = FileHandle(forWritingAtPath: partial)
        else {
            throw NovaError.internalError("cannot write image file \(partial)")
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
        _ = try? FileManager.default.removeItem(atPath: path(for: id))
        try FileManager.default.moveItem(atPath: partial, toPath: path(for: id))
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
            throw NovaError.internalError("cannot read \(path)")
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
        try? FileManager.default.removeItem(atPath: path(for: id))
    }

    static func hex(_ digest: some Digest) -> String {
        digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
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
