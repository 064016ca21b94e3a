import HostSystem
import Crypto
import Foundation
import NovaCore
import NovaVirt
import QMP

extension QEMUDriver {
    /// The image in `_base`, downloaded once per host and checked against the image service's md5.
    func cachedImage(_ id: String) async throws -> (path: String, format: String) {
        let info = try await images.imageInfo(id)
        guard ["qcow2", "raw"].contains(info.diskFormat) else {
            throw NovaError.badRequest("Image \(id) has disk format \(info.diskFormat): qcow2 or raw only")
        }
        let path = config.instancesPath + "/_base/" + id
        if FileManager.default.fileExists(atPath: path) { return (path, info.diskFormat) }
        if let download = downloads[id] { return (try await download.value, info.diskFormat) }
        let download = Task { [images] in
            let partial = path + ".partial"
            try await images.download(id, to: partial)
            if let expected = info.md5 {
                let actual = try Self.md5(ofFile: partial)
                guard actual == expected else {
                    try? FileManager.default.removeItem(atPath: partial)
                    throw NovaError.internalError(
                        "Image \(id) failed its checksum: expected \(expected), downloaded \(actual)")
                }
            }
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            return path
        }
        downloads[id] = download
        defer { downloads[id] = nil }
        return (try await download.value, info.diskFormat)
    }

    /// The image in this host's `_base` (os-aggregates images): downloaded and checked unless it is there.
    public func cacheImage(_ imageID: String) async throws {
        _ = try await cachedImage(imageID)
    }

    /// A qcow2 overlay at `path` on this host's copy of the image, grown to `rootGB` when that is set.
    func createOverlay(of imageID: String, at path: String, rootGB: Int) async throws {
        let (base, format) = try await cachedImage(imageID)
        var arguments = ["create", "-q", "-f", "qcow2", "-F", format, "-b", base, path]
        if rootGB > 0 { arguments.append("\(rootGB)G") }
        try await ProcessRunner.check(config.qemuImg, arguments)
    }

    static func md5(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw NovaError.internalError("cannot read \(path)")
        }
        defer { try? handle.close() }
        var md5 = Insecure.MD5()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { md5.update(data: chunk) }
        return StableHash.hex(md5.finalize())
    }

    /// A consistent copy of the root disk: the guest is paused while qemu-img copies the overlay and its
    /// base into one qcow2, then runs on; the copy becomes image `imageID`.
    public func snapshot(_ instance: Instance, imageID: String) async throws {
        try requireGuest(instance)
        let paths = paths(instance.uuid)
        let copy = paths.directory + "/snapshot-\(imageID).qcow2"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        var resumeAfter = false
        if let client = connections[instance.uuid], try await status(client) == "running" {
            try await client.execute("stop")
            resumeAfter = true
        }
        do {
            try await ProcessRunner.check(
                config.qemuImg, ["convert", "-U", "-f", "qcow2", "-O", "qcow2", paths.disk, copy])
        } catch {
            if resumeAfter { _ = try? await connections[instance.uuid]?.execute("cont") }
            throw error
        }
        if resumeAfter { try await connections[instance.uuid]?.execute("cont") }
        try await images.upload(imageID, from: copy, diskFormat: "qcow2")
    }
}
