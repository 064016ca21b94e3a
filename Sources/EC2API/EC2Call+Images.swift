import Foundation
import NovaCore

/// DescribeImages over the image service's images, as the caller sees them.
extension EC2Call {
    static let imageStates = [
        "active": "available", "queued": "pending", "saving": "pending",
        "importing": "pending", "uploading": "pending", "killed": "failed", "deleted": "deregistered",
        "pending_delete": "deregistered", "deactivated": "disabled",
    ]

    /// Every image the caller's image list shows.
    func listImages() async throws -> [JSON] {
        var images: [JSON] = []
        var next: String? = "/v2/images?limit=1000"
        var pages = 0
        while let path = next, pages < 1000 {
            let page = try await expect(.image, .get, path)
            images += page["images"]?.arrayValue ?? []
            next = page["next"]?.stringValue
            pages += 1
        }
        return images
    }

    func describeImages() async throws -> [XMLNode] {
        try dryRun(write: false)
        let images = try await listImages()
        let ids = try await api.store.ec2IDs(kind: "ami", uuids: images.compactMap { $0["id"]?.stringValue })
        let wanted = params.list("ImageId")
        if let malformed = wanted.first(where: { !$0.hasPrefix("ami-") }) {
            throw EC2Error("InvalidAMIID.Malformed", "Invalid id: \"\(malformed)\"")
        }
        let present = Set(ids.values)
        if let missing = wanted.first(where: { !present.contains($0) }) {
            throw EC2Error("InvalidAMIID.NotFound", "The image id '[\(missing)]' does not exist")
        }
        let owners = params.list("Owner")
        let filters = try params.filters()
        var items: [[XMLNode]] = []
        for image in images {
            guard let uuid = image["id"]?.stringValue, let id = ids[uuid] else { continue }
            if !wanted.isEmpty, !wanted.contains(id) { continue }
            let owner = image["owner"]?.stringValue ?? ""
            let isPublic = image["visibility"]?.stringValue == "public"
            if !owners.isEmpty {
                let ownedBy = owners.contains { $0 == owner || ($0 == "self" && owner == credentials.projectID) }
                if !ownedBy { continue }
            }
            let state = Self.imageStates[image["status"]?.stringValue ?? "", default: "pending"]
            let name = image["name"]?.stringValue ?? ""
            let matches = filters.allSatisfy { filter in
                let value: String? =
                    switch filter.name {
                    case "image-id": id
                    case "name": name
                    case "is-public": isPublic ? "true" : "false"
                    case "state": state
                    case "owner-id": owner
                    case "image-type": "machine"
                    default: nil
                    }
                return value.map { value in filter.values.contains { Self.wildcard($0, matches: value) } } ?? false
            }
            guard matches else { continue }
            items.append([
                .text("imageId", id), .text("imageLocation", name), .text("imageState", state),
                .text("imageOwnerId", owner), .text("isPublic", isPublic ? "true" : "false"),
                .text("architecture", image["architecture"]?.stringValue ?? "x86_64"),
                .text("imageType", "machine"), .text("name", name),
                .text("rootDeviceType", "instance-store"), .text("rootDeviceName", "/dev/vda"),
                .text("virtualizationType", "hvm"), .text("hypervisor", "kvm"),
                .text("creationDate", image["created_at"]?.stringValue ?? ""),
            ])
        }
        return [.set("imagesSet", items)]
    }

    /// EC2's filter values: `*` any run of characters, `?` one, `\` escapes.
    static func wildcard(_ pattern: String, matches value: String) -> Bool {
        let pattern = Array(pattern)
        let value = Array(value)
        // Linear-time glob match with one backtrack point (the last `*`).
        var p = 0
        var v = 0
        var star: (Int, Int)?
        while v < value.count {
            if p < pattern.count, pattern[p] == "\\", p + 1 < pattern.count, pattern[p + 1] == value[v] {
                p += 2
                v += 1
            } else if p < pattern.count,
                pattern[p] == "?" || (pattern[p] != "*" && pattern[p] != "\\" && pattern[p] == value[v])
            {
                p += 1
                v += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = (p, v)
                p += 1
            } else if let (starP, starV) = star {
                p = starP + 1
                v = starV + 1
                star = (starP, starV + 1)
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
