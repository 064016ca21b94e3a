import Foundation
import IdentityService
import ImageService
import NovaCore
import NovaDB

/// What a new cloud needs before its first request: identity (domain, roles, admin and demo), Nova's default
/// flavors and one small bootable image. Each part is created once; a restart keeps what is there.
public struct FirstStart: Sendable {
    public struct Result: Sendable {
        /// Passwords set by this start (nil when the user already existed and no password was given).
        public var adminPassword: String?
        public var demoPassword: String?
        public var isNewCloud: Bool
    }

    let identity: IdentityStore
    let compute: ComputeStore
    let images: ImageStore
    let files: ImageFileStore
    let clock: any WallClock

    init(
        identity: IdentityStore, compute: ComputeStore, images: ImageStore, files: ImageFileStore, clock: any WallClock
    ) {
        self.identity = identity
        self.compute = compute
        self.images = images
        self.files = files
        self.clock = clock
    }

    /// With a genuine Keystone (`embeddedIdentity` false) the identity tables are left alone, a cloud is new
    /// while it has no flavors, and the image is left to the operator (it would have no owner project here);
    /// likewise with a genuine Glance.
    func run(adminPassword: String?, embeddedIdentity: Bool = true, embeddedImages: Bool = true) async throws
        -> Result
    {
        guard embeddedIdentity else {
            let isNew = try await compute.flavors(isPublic: nil, projectID: nil).isEmpty
            if isNew { for flavor in Flavor.defaults { try await compute.createFlavor(flavor) } }
            return Result(adminPassword: nil, demoPassword: nil, isNewCloud: isNew)
        }
        let isNew = try await identity.users(name: "admin").isEmpty
        let passwords = try await IdentityBootstrap(store: identity).run(
            adminPassword: adminPassword, demoPassword: nil)
        if isNew {
            for flavor in Flavor.defaults { try await compute.createFlavor(flavor) }
            if embeddedImages { try await createDefaultImage() }
        }
        return Result(adminPassword: passwords.adminPassword, demoPassword: passwords.demoPassword, isNewCloud: isNew)
    }

    func createDefaultImage() async throws {
        guard let admin = try await identity.projects(name: "admin").first else { return }
        let id = UUID().uuidString.lowercased()
        var image = ImageRecord(
            id: id, name: TinyGuestImage.name, owner: admin.id, visibility: "public", createdAt: clock.now)
        image.diskFormat = "raw"
        image.containerFormat = "bare"
        image.recordUpload(try await files.write(id: id, bytes: TinyGuestImage.bytes))
        try await images.save(image)
    }
}
