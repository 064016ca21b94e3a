import Foundation
import NovaCore

/// CreateImage (the compute API's createImage of the server), DeregisterImage (the image's deletion) and
/// DescribeImageAttribute.
extension EC2Call {
    func createImage() async throws -> [XMLNode] {
        let id = try params.required("InstanceId")
        let name = try params.required("Name")
        guard (3...128).contains(name.count) else {
            throw EC2Error.invalid("Name", name, "AMI names are 3 to 128 characters.")
        }
        guard let uuid = try await api.store.uuids(kind: "i", ec2IDs: [id])[id] else { throw instanceNotFound(id) }
        var metadata: JSONObject = [:]
        if let description = params["Description"] {
            guard description.count <= 255 else {
                throw EC2Error.invalid("Description", description, "It is at most 255 characters.")
            }
            metadata["description"] = .string(description)
        }
        try dryRun(write: true)
        let created = try await expect(
            .compute, .post, "/servers/\(uuid)/action",
            body: ["createImage": ["name": .string(name), "metadata": .object(metadata)]], version: "2.45",
            notFound: instanceNotFound(id),
            conflict: EC2Error(
                "IncorrectInstanceState", "The instance '\(id)' is not in a state from which an image can be made."))
        guard let image = created["image_id"]?.stringValue else {
            throw EC2Error("Unavailable", "The compute API answered without an image.", status: 503)
        }
        return [.text("imageId", try await api.store.ec2ID(kind: "ami", uuid: image))]
    }

    func deregisterImage() async throws -> [XMLNode] {
        let id = try params.required("ImageId")
        guard let uuid = try await api.store.uuids(kind: "ami", ec2IDs: [id])[id] else { throw imageNotFound(id) }
        try dryRun(write: true)
        try await expect(
            .image, .delete, "/v2/images/" + uuid, notFound: imageNotFound(id),
            conflict: EC2Error("InvalidAMIID.Unavailable", "The image '\(id)' is protected or in use."))
        return [.text("return", "true")]
    }

    func describeImageAttribute() async throws -> [XMLNode] {
        let id = try params.required("ImageId")
        let attribute = try params.required("Attribute")
        guard let uuid = try await api.store.uuids(kind: "ami", ec2IDs: [id])[id] else { throw imageNotFound(id) }
        try dryRun(write: false)
        let image = try await expect(.image, .get, "/v2/images/" + uuid, notFound: imageNotFound(id))
        var nodes: [XMLNode] = [.text("imageId", id)]
        switch attribute {
        case "description":
            nodes.append(.element("description", XMLNode.optional("value", image["description"]?.stringValue)))
        case "launchPermission":
            let everyone =
                image["visibility"]?.stringValue == "public" || image["visibility"]?.stringValue == "community"
            nodes.append(.set("launchPermission", everyone ? [[.text("group", "all")]] : []))
        case "kernel", "ramdisk":
            let property = attribute == "kernel" ? "kernel_id" : "ramdisk_id"
            nodes.append(.element(attribute, XMLNode.optional("value", image[property]?.stringValue)))
        case "blockDeviceMapping":
            nodes.append(.element("blockDeviceMapping", []))
        case "productCodes":
            nodes.append(.element("productCodes", []))
        case "bootMode":
            nodes.append(
                .element("bootMode", [.text("value", image["hw_firmware_type"]?.stringValue ?? "legacy-bios")]))
        default:
            throw EC2Error.invalid("Attribute", attribute, "It is not an image attribute.")
        }
        return nodes
    }
}
