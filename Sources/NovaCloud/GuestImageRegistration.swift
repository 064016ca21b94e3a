import Foundation
import IdentityService
import ImageService
import NovaCore
import NovaDB

/// Registers the project's guest image (scripts/build-guest-image.sh) as the public image `nova-guest`
/// when QEMU is the driver: once, or again when the file changed.
struct GuestImageRegistration {
    static let name = "nova-guest"
    let identity: IdentityStore
    let images: ImageStore
    let files: ImageFileStore
    let clock: any WallClock

    func register(path: String) async throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue
        else {
            throw NovaError.badRequest("[qemu] guest_image = \(path): no such file (run scripts/build-guest-image.sh)")
        }
        if try await images.images(name: Self.name, status: "active").contains(where: { $0.size == size }) { return }
        guard let admin = try await identity.projects(name: "admin").first else { return }
        let id = UUID().uuidString.lowercased()
        var image = ImageRecord(id: id, name: Self.name, owner: admin.id, visibility: "public", createdAt: clock.now)
        image.diskFormat = "qcow2"
        image.containerFormat = "bare"
        image.recordUpload(try await files.write(id: id, fromFile: path))
        image.diskFormat = "qcow2"
        try await images.save(image)
    }
}
